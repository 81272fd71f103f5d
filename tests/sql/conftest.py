"""Validator, executor and the adversarial environment over the demo warehouse (fixtures in tests/conftest.py)."""

from __future__ import annotations

import pytest

from sourcier.sql import Catalogue, SqlExecutor, SqlValidator
from tests.sql.adversarial import Env, snapshot

TIMEOUT_MS = 1000
MAX_ROWS = 1000


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
