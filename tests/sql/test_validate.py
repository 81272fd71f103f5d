"""The validator on its own: what it accepts, what it rewrites, and how it explains a refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcier.errors import SqlRefused
from sourcier.sql import Catalogue, SqlValidator, load_catalogue

EVERYONE = ["everyone"]


def test_tables_are_schema_qualified_and_listed(validator: SqlValidator) -> None:
    q = validator.run("SELECT count(*) FROM customers c JOIN regions r ON r.region_id = c.region_id", EVERYONE)
    assert "sales.customers" in q.sql and "sales.regions" in q.sql
    assert q.tables == ("sales.customers", "sales.regions")


def test_limit_is_added_lowered_or_kept(validator: SqlValidator) -> None:
    added = validator.run("SELECT name FROM sales.regions", EVERYONE)
    assert (added.limit, added.capped) == (1000, True) and added.sql.endswith("LIMIT 1000")
    lowered = validator.run("SELECT name FROM sales.regions LIMIT 50000", EVERYONE)
    assert (lowered.limit, lowered.capped) == (1000, True)
    kept = validator.run("SELECT name FROM sales.regions LIMIT 3", EVERYONE)
    assert (kept.limit, kept.capped) == (3, False)
    fetch = validator.run("SELECT name FROM sales.regions FETCH FIRST 4 ROWS ONLY", EVERYONE)
    assert (fetch.limit, fetch.capped) == (4, False) and "LIMIT 4" in fetch.sql
    union = validator.run("SELECT name FROM sales.regions UNION SELECT name FROM sales.products", EVERYONE)
    assert union.sql.endswith("LIMIT 1000")
    computed = validator.run("SELECT name FROM sales.regions LIMIT (SELECT 5)", EVERYONE)
    assert computed.capped and computed.sql.endswith("LIMIT 1000")


def test_star_expands_to_exposed_columns_only(validator: SqlValidator) -> None:
    q = validator.run("SELECT * FROM sales.customers", EVERYONE)
    assert "email" not in q.sql and "customers.segment" in q.sql


def test_comments_are_dropped_from_what_runs(validator: SqlValidator) -> None:
    q = validator.run("SELECT name /* hidden; DROP TABLE x */ FROM sales.regions -- trailing", EVERYONE)
    assert "/*" not in q.sql and "--" not in q.sql and "DROP" not in q.sql


def test_the_validated_sql_validates_again_to_itself(validator: SqlValidator) -> None:
    first = validator.run(
        "WITH t AS (SELECT customer_id, count(*) AS n FROM sales.orders GROUP BY 1) "
        "SELECT c.name, t.n FROM t JOIN sales.customers c USING (customer_id) ORDER BY 2 DESC LIMIT 10",
        EVERYONE,
    )
    again = validator.run(first.sql, EVERYONE)
    assert again.sql == first.sql


def test_output_columns_get_readable_names(validator: SqlValidator) -> None:
    q = validator.run("SELECT count(*), sum(quantity) FROM sales.order_lines ORDER BY 1", EVERYONE)
    assert "AS count" in q.sql and "AS sum" in q.sql and "_col_" not in q.sql


def test_columns_resolve_through_aliases_subqueries_and_ctes(validator: SqlValidator) -> None:
    ok = validator.run("SELECT x.n FROM (SELECT c.name AS n FROM sales.customers AS c) AS x", EVERYONE)
    assert ok.tables == ("sales.customers",)
    with pytest.raises(SqlRefused, match="email"):
        validator.run("SELECT x.e FROM (SELECT c.email AS e FROM sales.customers AS c) AS x", EVERYONE)
    with pytest.raises(SqlRefused, match="email"):
        validator.run("WITH k AS (SELECT email FROM sales.customers) SELECT * FROM k", EVERYONE)


def test_a_cte_may_borrow_a_table_name_but_not_its_rows(validator: SqlValidator) -> None:
    q = validator.run("WITH salaries AS (SELECT 1 AS a) SELECT a FROM salaries", EVERYONE)
    assert q.tables == ()
    with pytest.raises(SqlRefused, match="La table salaries n'est pas dans le catalogue"):
        validator.run("WITH x AS (SELECT 1 AS a) SELECT employee_ref FROM salaries", EVERYONE)


def test_principals_decide_which_tables_are_readable(validator: SqlValidator) -> None:
    with pytest.raises(SqlRefused, match="n'est pas dans le catalogue"):  # as if it did not exist
        validator.run("SELECT department FROM hr.salaries", EVERYONE)
    q = validator.run("SELECT department FROM hr.salaries", ["everyone", "group:direction"])
    assert q.tables == ("hr.salaries",)


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("SELECT 1; SELECT 2", "Une seule instruction"),
        ("DELETE FROM sales.orders", "SELECT"),
        ("SELECT pg_sleep(1)", "pg_sleep"),
        ("SELECT * FROM pg_catalog.pg_class", "système"),
        ("SELECT * FROM nowhere", "catalogue"),
        ("SELECT FROM WHERE", "SQL valide"),
        ("", "vide"),
        ("SELECT 1 FROM sales.orders FOR UPDATE", "verrous"),
    ],
)
def test_refusals_say_why_in_plain_words(validator: SqlValidator, sql: str, words: str) -> None:
    with pytest.raises(SqlRefused) as info:
        validator.run(sql, EVERYONE)
    assert words in info.value.message


def test_ambiguous_table_names_need_a_schema(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        """
name = "two"
[access]
default_role = "r"
[[tables]]
schema = "a"
name = "t"
readers = ["everyone"]
columns = [{ name = "x", type = "integer" }]
[[tables]]
schema = "b"
name = "t"
readers = ["everyone"]
columns = [{ name = "x", type = "integer" }]
""",
        "utf-8",
    )
    validator = SqlValidator(catalogue=load_catalogue(path), max_rows=10)
    with pytest.raises(SqlRefused, match="ambigu"):
        validator.run("SELECT x FROM t", EVERYONE)
    assert validator.run("SELECT x FROM b.t", EVERYONE).tables == ("b.t",)


def test_config_is_checked(catalogue: Catalogue) -> None:
    with pytest.raises(ValueError, match="max_rows"):
        SqlValidator(catalogue=catalogue, max_rows=0)
