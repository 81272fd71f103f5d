"""The demo warehouse, loaded once per session into its own database of the session's embedded PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from sourcier.sql import Catalogue, SqlExecutor, SqlValidator, load_catalogue
from sourcier.sql.demo import load_demo
from tests.sql.adversarial import Env, snapshot

WAREHOUSE_TEST_DB = "warehouse_test"
TIMEOUT_MS = 1000
MAX_ROWS = 1000


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="session")
def warehouse(pg: str, catalogue: Catalogue) -> Iterator[str]:
    """Admin conninfo of a database holding the demo warehouse and its reader roles."""
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {WAREHOUSE_TEST_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {WAREHOUSE_TEST_DB}")
    conninfo = make_conninfo(pg, dbname=WAREHOUSE_TEST_DB)
    load_demo(conninfo, catalogue=catalogue)
    yield conninfo


@pytest.fixture(scope="session")
def validator(catalogue: Catalogue) -> SqlValidator:
    return SqlValidator(catalogue=catalogue, max_rows=MAX_ROWS)


@pytest.fixture(scope="session")
def executor() -> SqlExecutor:
    return SqlExecutor(max_rows=MAX_ROWS, max_bytes=1_000_000, timeout_ms=TIMEOUT_MS)


@pytest.fixture(scope="session")
def env(warehouse: str, catalogue: Catalogue, validator: SqlValidator, executor: SqlExecutor) -> Env:
    return Env(conninfo=warehouse, catalogue=catalogue, validator=validator, executor=executor)


@pytest.fixture(scope="session")
def baseline(warehouse: str) -> tuple[object, ...]:
    """Every table's row count and checksum, relations, roles, sequences and large objects, before any test."""
    return snapshot(warehouse)
