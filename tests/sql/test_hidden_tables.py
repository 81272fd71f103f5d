"""A table or column the caller may not read is answered exactly like one that does not exist, by the validator
and by PostgreSQL through the executor: any difference would tell the caller that the hidden one is there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from psycopg import Connection

from sourcier.errors import SqlRefused
from sourcier.sql import Catalogue, SqlExecutor, SqlValidator, ValidatedQuery, connect_reader, load_catalogue
from sourcier.sql._execute import NOT_IN_CATALOGUE

EVERYONE = ["everyone"]


def _refusal(validator: SqlValidator, sql: str, principals: list[str] = EVERYONE) -> str:
    with pytest.raises(SqlRefused) as info:
        validator.run(sql, principals)
    return f"{info.value.message}|{info.value.hint}"


@pytest.mark.parametrize(
    ("hidden", "missing"),
    [
        ("SELECT department FROM hr.salaries", "SELECT department FROM hr.nowhere"),
        ("SELECT department FROM salaries", "SELECT department FROM nowhere"),
        ("SELECT s.department FROM hr.salaries AS s", "SELECT s.department FROM hr.nowhere AS s"),
        (
            "SELECT name FROM sales.regions WHERE region_id IN (SELECT 1 FROM hr.salaries)",
            "SELECT name FROM sales.regions WHERE region_id IN (SELECT 1 FROM hr.nowhere)",
        ),
        (
            "WITH x AS (SELECT 1 AS a) SELECT employee_ref FROM salaries",
            "WITH x AS (SELECT 1 AS a) SELECT employee_ref FROM nowhere",
        ),
    ],
)
def test_a_hidden_table_is_refused_in_the_words_of_a_missing_one(
    validator: SqlValidator, hidden: str, missing: str
) -> None:
    said = _refusal(validator, hidden)
    assert said.replace("salaries", "nowhere") == _refusal(validator, missing)
    assert "hr.salaries" not in said.replace("La table hr.salaries n", "")  # only the name the caller wrote


@pytest.mark.parametrize(
    ("hidden", "missing"),
    [
        ("SELECT email FROM sales.customers", "SELECT nowhere FROM sales.customers"),  # in the table, not exposed
        ("SELECT c.email FROM sales.customers AS c", "SELECT c.nowhere FROM sales.customers AS c"),
        (
            "SELECT x.e FROM (SELECT c.email AS e FROM sales.customers AS c) AS x",
            "SELECT x.e FROM (SELECT c.nowhere AS e FROM sales.customers AS c) AS x",
        ),
        ("SELECT hr.salaries.department FROM sales.customers", "SELECT hr.salaries.nowhere FROM sales.customers"),
    ],
)
def test_a_hidden_column_is_refused_in_the_words_of_a_missing_one(
    validator: SqlValidator, hidden: str, missing: str
) -> None:
    said = _refusal(validator, hidden)
    assert said.replace("email", "nowhere").replace("department", "nowhere") == _refusal(validator, missing)


def test_a_hidden_table_is_never_offered_as_an_ambiguity(tmp_path: Path) -> None:
    """Two tables named `t`, one hidden: the visible one is taken, as if the other did not exist."""
    path = tmp_path / "c.toml"
    path.write_text(
        """
name = "two"
[access]
default_role = "r"
[[tables]]
schema = "open"
name = "t"
readers = ["everyone"]
columns = [{ name = "x", type = "integer" }]
[[tables]]
schema = "secret"
name = "t"
readers = ["group:direction"]
columns = [{ name = "x", type = "integer" }]
""",
        "utf-8",
    )
    validator = SqlValidator(catalogue=load_catalogue(path), max_rows=10)
    assert validator.run("SELECT x FROM t", EVERYONE).tables == ("open.t",)
    assert _refusal(validator, "SELECT x FROM secret.t") == _refusal(validator, "SELECT x FROM nowhere.t").replace(
        "nowhere", "secret"
    )
    with pytest.raises(SqlRefused, match="ambigu"):
        validator.run("SELECT x FROM t", ["everyone", "group:direction"])


@pytest.fixture
def reader(warehouse: str, catalogue: Catalogue) -> Iterator[Connection[Any]]:
    with connect_reader(warehouse, catalogue.default_role) as conn:
        yield conn


def _raw(sql: str) -> ValidatedQuery:
    """SQL that skipped the validator: what PostgreSQL says about it is what a validator bug would show."""
    return ValidatedQuery(sql=sql, tables=(), limit=1000, capped=False)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT department FROM hr.salaries",  # there, not granted: "permission denied for table salaries"
        "SELECT department FROM hr.nowhere",  # not there: 'relation "hr.nowhere" does not exist'
        "SELECT department FROM nowhere.salaries",  # no such schema
        "SELECT email FROM sales.customers",  # a column not granted
        "SELECT nowhere FROM sales.customers",  # no such column
        "SELECT action FROM audit.access_log",
        "SELECT pg_read_file('postgresql.conf')",  # a function not granted
        "SELECT no_such_function(1)",
    ],
)
def test_postgresql_refusals_name_nothing_and_read_the_same(
    sql: str, reader: Connection[Any], executor: SqlExecutor
) -> None:
    with pytest.raises(SqlRefused) as info:
        executor.run(reader, _raw(sql))
    assert info.value.message == NOT_IN_CATALOGUE and info.value.hint is None
    for name in ("salaries", "nowhere", "email", "access_log", "audit", "pg_read_file", "permission", "relation"):
        assert name not in info.value.message
    assert executor.run(reader, _raw("SELECT 1 AS one")).rows == ((1,),)  # the connection is still usable


def test_the_query_s_own_mistakes_are_still_explained(reader: Connection[Any], executor: SqlExecutor) -> None:
    with pytest.raises(SqlRefused, match="division by zero"):
        executor.run(reader, _raw("SELECT 1 / 0 AS x"))
