"""Switching the index to another embedding model without a gap in search.

The active model's vectors stay in `chunks` and keep answering questions while the new model's are
built beside them, in the embedding cache, keyed by text hash: identical passages are embedded once,
each batch is committed, and a run stopped half-way (crash, Ctrl-C, `limit`) resumes where the cache
ends. When every passage has a vector of the new model, one transaction copies them into `chunks` and
makes the new model active (`store.embeddings.switch_active`); the old vectors go with it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from psycopg import Connection

from sourcier.embed import Embedder, text_hash
from sourcier.errors import ConfigError, SyncAlreadyRunning
from sourcier.store import embeddings as emb_store

log = logging.getLogger(__name__)

_SWITCH_ATTEMPTS = 5  # passages written by syncs during the last fill are embedded on the next pass


@dataclass(slots=True)
class ReindexReport:
    model_id: str
    previous: str | None  # the model active before this run (None: an empty index)
    to_build: int = 0  # passages not on the model when the run started
    embedded: int = 0  # texts embedded by this run
    reused: int = 0  # passages whose vector was cached already (an earlier, stopped run; duplicates)
    replaced: int = 0  # passages whose vectors the switch replaced
    switched: bool = False  # False: stopped by `limit` before the end; run again to resume
    seconds: float = 0.0


def embedding_text(heading: str, text: str, stored_hash: bytes) -> str:
    """The text a passage was embedded from (`Chunk.embedding_text`), checked against its stored hash."""
    candidates = (f"{heading}\n{text}", text) if heading else (text, f"\n{text}")
    for candidate in candidates:
        if text_hash(candidate) == stored_hash:
            return candidate
    log.warning("passage text does not match its stored hash; embedding the heading and text")
    return candidates[0]


class Reindexer:
    """`sourcier reindex`: build `embedder`'s vectors for every passage, then switch the index to them."""

    def __init__(
        self,
        *,
        embedder: Embedder,
        batch: int = 64,
        keep_previous: bool = False,
        on_progress: Callable[[int, int], None] = lambda done, total: None,
    ) -> None:
        if batch < 1:
            raise ConfigError(f"batch must be at least 1, got {batch}")
        self._embedder = embedder
        self._batch = batch
        self._keep_previous = keep_previous
        self._progress = on_progress

    def run(self, conn: Connection[Any], *, limit: int | None = None) -> ReindexReport:
        """Build and switch; with `limit`, embed at most that many texts now (the rest on a later run)."""
        started = time.perf_counter()
        if not emb_store.try_lock_reindex(conn):
            raise SyncAlreadyRunning("a reindex is already running (in another process)", hint="wait for it to end")
        try:
            active = emb_store.active_model(conn)
            report = ReindexReport(model_id=self._embedder.model_id, previous=active.model_id if active else None)
            on_model = active is not None and active.model_id == report.model_id
            self._build_and_switch(conn, report, limit, already_active=on_model)
        finally:
            emb_store.unlock_reindex(conn)
        report.seconds = time.perf_counter() - started
        return report

    def _build_and_switch(
        self, conn: Connection[Any], report: ReindexReport, limit: int | None, *, already_active: bool
    ) -> None:
        model, dim = self._embedder.model_id, self._embedder.dimension
        missing, report.to_build = emb_store.count_to_build(conn, model)
        report.reused = report.to_build - missing
        if already_active and report.to_build == 0:
            report.switched = True  # nothing to do
            return
        with conn.transaction():
            emb_store.start_building(conn, model, dim)
        for _ in range(_SWITCH_ATTEMPTS):
            if not self._fill(conn, report, missing, limit):
                return
            replaced = emb_store.switch_active(conn, model, dim, keep_previous=self._keep_previous)
            if replaced is not None:
                report.replaced, report.switched = replaced, True
                return
            missing, _ = emb_store.count_to_build(conn, model)  # syncs added passages meanwhile

    def _fill(self, conn: Connection[Any], report: ReindexReport, total: int, limit: int | None) -> bool:
        """Embed what the cache lacks, batch by batch (each committed); False if `limit` stopped it first."""
        model = self._embedder.model_id
        after, done = 0, 0
        while True:
            rows = emb_store.missing_vectors(conn, model, after=after, n=self._batch)
            if not rows:
                return True
            todo: dict[bytes, str] = {}
            for r in rows:
                h = bytes(r.text_hash)
                todo.setdefault(h, embedding_text(r.heading, r.text, h))
            room = None if limit is None else limit - report.embedded
            stop = room is not None and room < len(todo)
            if room is not None:
                todo = dict(list(todo.items())[: max(room, 0)])
            if todo:
                vectors = self._embedder.embed_passages(list(todo.values()))
                if vectors.shape != (len(todo), self._embedder.dimension):
                    raise ConfigError(
                        f"{model} returned vectors of shape {vectors.shape}, expected {self._embedder.dimension} wide"
                    )
                emb_store.remember(conn, model, list(todo), vectors)
                report.embedded += len(todo)
                done += len(todo)
                self._progress(done, total)
            if stop:
                return False
            after = rows[-1].chunk_id
