"""The demo warehouse: deterministic rows, realistic sizes, reloadable, reader roles with exactly their grants."""

from __future__ import annotations

from collections import Counter
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from sourcier.sql import Catalogue
from sourcier.sql.demo import generate, load_demo, reader_role_statements


def test_rows_are_deterministic() -> None:
    a, b = generate(), generate()
    assert a == b
    assert generate(seed=1).orders != a.orders


def test_sizes_and_years_are_realistic() -> None:
    data = generate()
    assert len(data.regions) == 8 and len(data.products) >= 30 and len(data.salaries) == 182
    assert 300 <= len(data.customers) <= 1000 and 2000 <= len(data.orders) <= 4000
    assert 4000 <= len(data.order_lines) <= 10000
    years = Counter(row[2].year for row in data.orders)  # type: ignore[attr-defined]
    assert sorted(years) == [2022, 2023, 2024, 2025] and years[2025] > years[2022]
    created = {row[0]: row[5] for row in data.customers}
    assert all(created[o[1]] <= o[2] for o in data.orders)  # type: ignore[operator]  # no order before the account


def test_reload_and_grants(pg: str, catalogue: Catalogue) -> None:
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS warehouse_reload WITH (FORCE)")
        conn.execute("CREATE DATABASE warehouse_reload")
    conninfo = make_conninfo(pg, dbname="warehouse_reload")
    first = load_demo(conninfo, catalogue=catalogue)
    second = load_demo(conninfo, catalogue=catalogue)
    assert first == second and dict(first.rows)["sales.orders"] == len(generate().orders)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        assert _count(conn, "sales.order_lines") == len(generate().order_lines)
        roles = conn.execute(
            "SELECT rolname, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles "
            "WHERE rolname LIKE 'sourcier_wh_%' ORDER BY 1"
        ).fetchall()
        assert roles == [("sourcier_wh_reader", True, False, False, False, False),
                         ("sourcier_wh_reader_rh", True, False, False, False, False)]
        def can(sql: str, *args: str) -> object:
            row = conn.execute(sql, args).fetchone()
            return row[0] if row else None

        salaries = "SELECT has_any_column_privilege(%s, 'hr.salaries', 'SELECT')"
        email = "SELECT has_column_privilege(%s, 'sales.customers', 'email', 'SELECT')"
        audit = "SELECT has_any_column_privilege(%s, 'audit.access_log', 'SELECT')"
        write = "SELECT has_table_privilege(%s, 'sales.orders', %s)"
        assert can(salaries, "sourcier_wh_reader") is False and can(salaries, "sourcier_wh_reader_rh") is True
        for role in ("sourcier_wh_reader", "sourcier_wh_reader_rh"):
            assert can(email, role) is False and can(audit, role) is False
            assert not any(can(write, role, verb) for verb in ("INSERT", "UPDATE", "DELETE", "TRUNCATE"))
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute("DROP DATABASE warehouse_reload WITH (FORCE)")


def _count(conn: psycopg.Connection[Any], table: str) -> int:
    query = psycopg.sql.SQL("SELECT count(*) FROM {}").format(psycopg.sql.Identifier(*table.split(".")))
    row = conn.execute(query).fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize("role", ["sourcier_wh_reader", "sourcier_wh_reader_rh"])
def test_grant_statements_name_only_catalogue_columns(catalogue: Catalogue, role: str) -> None:
    text = " ".join(s.as_string() for s in reader_role_statements(catalogue, "warehouse"))
    assert '"email"' not in text and "audit" not in text
    assert 'GRANT SELECT ("employee_ref"' in text
    assert f'TO "{role}"' in text
