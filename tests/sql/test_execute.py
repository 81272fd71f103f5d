"""Defence in depth: queries that skip the validator still cannot write, read other tables or run away."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from psycopg import Connection

from sourcier.errors import SqlRefused
from sourcier.sql import Catalogue, SqlExecutor, ValidatedQuery, connect_reader
from tests.sql.adversarial import snapshot


def raw(sql: str) -> ValidatedQuery:
    """SQL that never went through the validator (what a validator bug would let through)."""
    return ValidatedQuery(sql=sql, tables=(), limit=1000, capped=False)


@pytest.fixture
def reader(warehouse: str, catalogue: Catalogue) -> Iterator[Connection[Any]]:
    with connect_reader(warehouse, catalogue.default_role) as conn:
        yield conn


@pytest.fixture
def rh_reader(warehouse: str, catalogue: Catalogue) -> Iterator[Connection[Any]]:
    with connect_reader(warehouse, catalogue.role_for(["everyone", "group:rh"])) as conn:
        yield conn


WRITES = [
    "INSERT INTO sales.regions VALUES (99, 'x', 'x', 'x')",
    "UPDATE sales.products SET list_price = 0",
    "DELETE FROM sales.orders",
    "WITH d AS (DELETE FROM sales.orders RETURNING order_id) SELECT count(*) FROM d",
    "SELECT 1; DELETE FROM sales.orders",
    "SELECT nextval('sales.invoice_number')",
    "SELECT lo_create(0)",
    "SELECT * INTO public.stolen FROM sales.regions",
    "SELECT order_id FROM sales.orders FOR UPDATE",
    "CREATE TEMP TABLE t AS SELECT 1",
    "SELECT set_config('role', 'postgres', false)",
    "SELECT pg_read_file('postgresql.conf')",
]


@pytest.mark.parametrize("sql", WRITES)
def test_writes_and_escapes_are_refused_by_postgresql(
    sql: str, reader: Connection[Any], executor: SqlExecutor, baseline: tuple[object, ...], warehouse: str
) -> None:
    with pytest.raises(SqlRefused):
        executor.run(reader, raw(sql))
    assert snapshot(warehouse) == baseline


FORBIDDEN_READS = [
    "SELECT employee_ref, annual_gross FROM hr.salaries",
    "SELECT email FROM sales.customers",
    "SELECT * FROM sales.customers",
    "SELECT row_to_json(c) FROM sales.customers c",
    "SELECT action FROM audit.access_log",
    "SELECT last_value FROM sales.invoice_number",
]


@pytest.mark.parametrize("sql", FORBIDDEN_READS)
def test_tables_and_columns_outside_the_grant_are_refused(
    sql: str, reader: Connection[Any], executor: SqlExecutor
) -> None:
    with pytest.raises(SqlRefused, match="pas dans le catalogue"):
        executor.run(reader, raw(sql))


def test_the_hr_role_reads_salaries_but_not_the_rest(rh_reader: Connection[Any], executor: SqlExecutor) -> None:
    result = executor.run(rh_reader, raw("SELECT count(*) FROM hr.salaries"))
    assert result.rows == ((182,),) and result.role == "sourcier_wh_reader_rh"
    for sql in ("SELECT email FROM sales.customers", "SELECT action FROM audit.access_log"):
        with pytest.raises(SqlRefused):
            executor.run(rh_reader, raw(sql))


def test_timeout_stops_a_runaway_query(reader: Connection[Any], executor: SqlExecutor) -> None:
    start = time.perf_counter()
    with pytest.raises(SqlRefused, match="temps maximal"):
        executor.run(reader, raw("SELECT count(*) FROM sales.order_lines a, sales.order_lines b, sales.order_lines c"))
    assert time.perf_counter() - start < 5
    assert executor.run(reader, raw("SELECT 1 AS one")).rows == ((1,),)  # the connection is still usable


def test_rows_are_capped_even_without_limit(reader: Connection[Any], executor: SqlExecutor) -> None:
    result = executor.run(reader, raw("SELECT a.order_id FROM sales.order_lines a, sales.order_lines b"))
    assert len(result.rows) == 1000 and result.truncated


def test_bytes_are_capped(reader: Connection[Any]) -> None:
    small = SqlExecutor(max_rows=1000, max_bytes=10_000, timeout_ms=2000)
    result = small.run(reader, raw("SELECT repeat('x', 1000) AS x FROM generate_series(1, 500)"))
    assert result.truncated and 5 <= len(result.rows) <= 10


def test_a_result_is_typed(reader: Connection[Any], executor: SqlExecutor) -> None:
    result = executor.run(reader, raw("SELECT name, list_price, product_id FROM sales.products ORDER BY product_id"))
    assert result.columns == ("name", "list_price", "product_id")
    assert len(result.rows) == 34 and not result.truncated and result.elapsed_ms > 0
    assert result.sql.startswith("SELECT name")


def test_executor_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="timeout_ms"):
        SqlExecutor(timeout_ms=0)
