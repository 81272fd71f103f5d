"""A search: the statement of its mode in one transaction under the reader role, or the hybrid legs at
once on two connections in one snapshot, then their fusion. And `explain`, the plan of what it runs."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor, wait
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from psycopg import Connection, sql
from psycopg.rows import class_row

from sourcier.types import Hit

from ._fusion import FUSE_GIVEN, fulltext_alone, statement, vector_alone
from ._params import Mode, SearchParams, bind, depth
from ._reader import checked_principals, prepare_reader


@dataclass(frozen=True, slots=True)
class SideLeg:
    """A second connection to the same database, and the threads the vector leg runs on meanwhile (the
    calling thread runs the full-text leg). Both belong to the composition root: the app's pool lends the
    connection for one search, its executor lives as long as the app."""

    conn: Connection[Any]
    threads: Executor


def search(
    conn: Connection[Any],
    query: str,
    query_vector: npt.NDArray[np.float32] | None,
    *,
    model_id: str,
    params: SearchParams,
    principals: Sequence[str],
    mode: Mode = "hybrid",
    side: SideLeg | None = None,
) -> list[Hit]:
    """Top passages for a question among those `principals` may read.

    The filter is in both legs, before ranking; row-level security for `sourcier_reader` enforces the
    same rule underneath. The vector leg needs `query_vector` (None only in fulltext mode).

    `side`, an idle connection to the same database and a thread: the hybrid legs run at the same time, one on each
    connection, in one snapshot; the same hits as the single statement, sooner when the server has a core
    to spare (see docs/adr/0004-access-control.md; measurements in docs/benchmarks.md).
    """
    if mode != "fulltext" and query_vector is None:
        raise ValueError("the vector leg needs a query vector")
    who = checked_principals(principals)
    dim = int(query_vector.shape[-1]) if query_vector is not None else 0
    params = depth(params, mode)
    values = bind(query, query_vector, model_id, params, who)
    if mode == "hybrid" and side is not None:
        return _search_on_two(conn, side, values, dim, who, params)
    with conn.transaction(), conn.cursor(row_factory=class_row(Hit)) as cur:
        prepare_reader(cur, who, params, vector_leg=mode != "fulltext")
        cur.execute(statement(mode, dim, params), values)  # constants only
        return cur.fetchall()


def explain(
    conn: Connection[Any],
    query: str,
    query_vector: npt.NDArray[np.float32] | None,
    *,
    model_id: str,
    params: SearchParams,
    principals: Sequence[str],
    mode: Mode = "hybrid",
    analyze: bool = True,
    verbose: bool = False,
) -> dict[str, Any]:
    """`EXPLAIN (FORMAT JSON)` of the one statement `search` runs for these arguments, under the reader
    role with the same settings (with `analyze`, it runs); the plan's root object (its "Plan" key holds
    the nodes). For tests and benchmarks: which index a leg read, how many postings it touched."""
    if mode != "fulltext" and query_vector is None:
        raise ValueError("the vector leg needs a query vector")
    who = checked_principals(principals)
    dim = int(query_vector.shape[-1]) if query_vector is not None else 0
    params = depth(params, mode)
    options = ", ".join([*(["ANALYZE"] if analyze else []), *(["VERBOSE"] if verbose else []), "FORMAT JSON"])
    with conn.transaction(), conn.cursor() as cur:
        prepare_reader(cur, who, params, vector_leg=mode != "fulltext")
        cur.execute(
            f"EXPLAIN ({options}) " + statement(mode, dim, params), bind(query, query_vector, model_id, params, who)
        )
        row = cur.fetchone()
    assert row is not None
    plan: dict[str, Any] = row[0][0]
    return plan


def _search_on_two(
    conn: Connection[Any], side: SideLeg, values: dict[str, Any], dim: int, who: list[str], params: SearchParams
) -> list[Hit]:
    """The hybrid statement's legs on two connections, fused on the first. The side imports the first's
    snapshot, so both legs read the same index state (an access change committed in between applies to
    neither leg, not to one of them)."""
    with conn.transaction():
        with conn.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # a snapshot can be shared
            snapshot = prepare_reader(cur, who, params, export_snapshot=True)
            assert snapshot is not None
            vector_leg = side.threads.submit(_vector_leg_in, side.conn, snapshot, values, dim, who, params)
            try:
                cur.execute(fulltext_alone(params), values)  # constants only
                ft = cur.fetchall()
            finally:
                wait([vector_leg])  # the side connection is never left running a statement
            vec = vector_leg.result()
        given = {
            "ft_ids": [r[0] for r in ft], "ft_scores": [r[1] for r in ft], "ft_coverage": [r[2] for r in ft],
            "vec_ids": [r[0] for r in vec], "vec_distances": [r[1] for r in vec],
        }  # fmt: skip
        with conn.cursor(row_factory=class_row(Hit)) as hits:
            hits.execute(FUSE_GIVEN, {**values, **given})
            return hits.fetchall()


def _vector_leg_in(
    side: Connection[Any], snapshot: str, values: dict[str, Any], dim: int, who: list[str], params: SearchParams
) -> list[tuple[Any, ...]]:
    with side.transaction(), side.cursor() as cur:
        cur.execute(
            sql.SQL("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; SET TRANSACTION SNAPSHOT {}").format(
                sql.Literal(snapshot)
            )
        )
        prepare_reader(cur, who, params)
        cur.execute(vector_alone(dim), values)  # constants only
        return cur.fetchall()
