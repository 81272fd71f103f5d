"""Who reads: checked principals, the reader role with its planner settings, and the visible documents.

Every retrieval statement runs under `sourcier_reader`, whose row-level security reads the principals
from a transaction setting; the statements filter on the same access lists themselves, before ranking.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from psycopg import Cursor

from sourcier.types import PRINCIPAL_PATTERN

from ._params import SearchParams

# The documents the caller may read, shared by both legs: BM25 statistics come from them and the
# vector leg picks its plan from their passage count.
VISIBLE = """
visible AS MATERIALIZED (
    SELECT id, n_chunks, n_terms FROM documents
    WHERE status = 'indexed' AND acl && %(principals)s::text[]
),
stats AS (
    SELECT greatest(sum(n_chunks), 1)::float8 AS n, coalesce(sum(n_chunks), 0) AS readable,
           greatest(sum(n_terms)::float8 / greatest(sum(n_chunks), 1), 1) AS avgdl
    FROM visible
)"""

# The visible documents' ids, sorted: a btree scan sorts the array of an `= ANY (...)` condition each time
# it restarts, once per word of the question, and an array already in order costs one pass instead of a
# sort (see docs/benchmarks.md).
VISIBLE_IDS = "ARRAY(SELECT id FROM visible ORDER BY id)"

# One round trip, not one per setting: round trips weigh on a small query's database time (see
# docs/benchmarks.md). `set_config('role', ..., true)` is `SET LOCAL ROLE`, with the same privilege check;
# the principals are set before the role.
AS_READER = """
SELECT set_config('sourcier.principals', %(principals)s, true), set_config('role', 'sourcier_reader', true)
"""

# The HNSW candidate list for the caller's share of the passages: a filtered walk finds fewer readable
# neighbours the smaller the share, so it needs a longer list for the same recall (ef_search is the
# list when everything is readable). The total is the planner's estimate; the walk's own cost already
# depends on the share, since it crosses unreadable passages too.
_EF_FOR_AUDIENCE = """(
    SELECT least({ef_max}, greatest(%(ef_search)s::int,
                                round(%(ef_search)s::int / power(least(1, r.n / greatest(t.n, 1)), {e}))))::int::text
    FROM (SELECT greatest(coalesce(sum(n_chunks), 0), 1)::float8 AS n FROM documents
          WHERE status = 'indexed' AND acl && %(principal_list)s::text[]) AS r,
         (SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'chunks'::regclass) AS t
)"""

_SEARCHING_READER = """
SELECT set_config('sourcier.principals', %(principals)s, true),
       set_config('hnsw.ef_search', {ef}, true),
       set_config('hnsw.iterative_scan', 'relaxed_order', true),
       -- Postings of common words run to tens of thousands of rows at 100k passages: keep them in memory.
       set_config('work_mem', '{work_mem_mb}MB', true),
       -- The row-level-security qual hides its selectivity from the planner (it reads a setting), which
       -- then prefers scanning every passage over the HNSW index, far slower (see docs/benchmarks.md).
       set_config('enable_seqscan', 'off', true),
       -- A statement of a few milliseconds never repays JIT compilation (tens of ms), which a server with
       -- a low `jit_above_cost` could otherwise start on the planner's row estimates.
       set_config('jit', 'off', true),
       set_config('role', 'sourcier_reader', true)
"""


def searching_reader(params: SearchParams, *, vector_leg: bool = True, export_snapshot: bool = False) -> str:
    """The statement `prepare_reader` runs: the reader role and the planner settings of a search; with
    `vector_leg`, the HNSW list sized for the caller's share; with `export_snapshot`, the snapshot's id
    last (the exporting connection runs the full-text leg only, so its list is not sized)."""
    return _searching_reader(
        vector_leg and not export_snapshot, export_snapshot, params.ef_max, params.ef_share_exponent,
        params.work_mem_mb,
    )  # fmt: skip


@cache
def _searching_reader(sized: bool, export: bool, ef_max: int, exponent: float, work_mem_mb: int) -> str:
    ef = _EF_FOR_AUDIENCE.format(ef_max=int(ef_max), e=repr(float(exponent))) if sized else None
    setup = _SEARCHING_READER.format(ef=ef or "%(ef_search)s::int::text", work_mem_mb=int(work_mem_mb))
    return setup.rstrip() + ", pg_export_snapshot()\n" if export else setup


def prepare_reader(
    cur: Cursor[Any], who: list[str], params: SearchParams, *, export_snapshot: bool = False, vector_leg: bool = True
) -> str | None:
    """The reader role and the planner settings the retrieval statement is measured with (benchmarks reuse
    it); with `export_snapshot`, the id of this transaction's snapshot, exported for another connection
    (which runs the vector leg: this one does not). With `vector_leg`, the HNSW list is sized for the
    caller's share of the passages (a sum over the visible documents, see docs/benchmarks.md)."""
    setup = searching_reader(params, vector_leg=vector_leg, export_snapshot=export_snapshot)
    cur.execute(setup, {"principals": ",".join(who), "principal_list": who, "ef_search": params.ef_search})
    return str(cur.fetchone()[-1]) if export_snapshot else None  # type: ignore[index]


def checked_principals(principals: Sequence[str]) -> list[str]:
    bad = [p for p in principals if not PRINCIPAL_PATTERN.match(p)]
    if bad:
        raise ValueError(f"malformed principals: {bad!r}")
    return list(principals)


def as_reader(cur: Cursor[Any], principals: list[str]) -> None:
    """Switch the current transaction to the row-level-security role, for these principals."""
    cur.execute(AS_READER, {"principals": ",".join(principals)})
