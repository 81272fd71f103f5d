"""`sourcier ask --sql` and `sourcier warehouse demo` through typer's runner, on the session's server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from psycopg import Connection
from typer.testing import CliRunner

from sourcier.cli import app
from sourcier.store import users


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pg: str, warehouse: str) -> None:
    monkeypatch.chdir(tmp_path)  # no sourcier.toml around
    monkeypatch.setenv("SOURCIER_HOME", str(tmp_path))
    monkeypatch.setenv("SOURCIER_DATABASE_URL", pg)
    monkeypatch.setenv("SOURCIER_WAREHOUSE_URL", warehouse)
    monkeypatch.setenv("COLUMNS", "200")


def test_ask_sql_prints_sql_table_and_summary(cli_env: None) -> None:
    result = CliRunner().invoke(app, ["ask", "--sql", "combien de clients en 2024 ?"])
    assert result.exit_code == 0, result.output
    assert "SELECT" in result.output and "nombre_clients" in result.output and "Résultat : " in result.output


def test_ask_sql_as_a_member_of_a_group(cli_env: None, conn: Connection[Any]) -> None:
    plain = CliRunner().invoke(app, ["ask", "--sql", "masse salariale par service"])
    assert plain.exit_code == 0 and "Je ne sais pas" in plain.output
    users.create_user(conn, "rita")
    users.create_group(conn, "rh")
    users.add_member(conn, "rh", "rita")
    rh = CliRunner().invoke(app, ["ask", "--sql", "masse salariale par service", "--as", "rita"])
    assert rh.exit_code == 0, rh.output
    assert "Production" in rh.output and "10 lignes" in rh.output


def test_warehouse_demo_refuses_to_overwrite_a_configured_warehouse(cli_env: None) -> None:
    result = CliRunner().invoke(app, ["warehouse", "demo"])
    assert result.exit_code == 2 and "--replace" in result.output


def test_plain_ask_routes_figures_to_the_warehouse_and_docs_forces_documents(cli_env: None) -> None:
    routed = CliRunner().invoke(app, ["ask", "combien de clients en 2024 ?"])
    assert routed.exit_code == 0, routed.output
    assert "routed to: warehouse" in routed.output and "SELECT" in routed.output
    forced = CliRunner().invoke(app, ["ask", "--docs", "combien de clients en 2024 ?"])
    assert forced.exit_code == 0, forced.output
    assert "SELECT" not in forced.output and "routed to" not in forced.output
    both = CliRunner().invoke(app, ["ask", "--docs", "--sql", "x"])
    assert both.exit_code == 2
