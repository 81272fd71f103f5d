"""`sourcier search` and `ask` end to end, on one database session per command."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from psycopg import Connection

from sourcier.store import users
from tests.cli.conftest import Run


def test_search_shows_scores_and_legs(run: Run, folder: Path) -> None:
    run("ingest", str(folder), "--quiet")
    result = run("search", "teletravail", "-k", "3")
    assert result.exit_code == 0, result.output
    assert "full text" in result.stdout and "vector" in result.stdout
    assert "#1 (" in result.stdout  # a rank and score from at least one leg


def test_ask_cites_and_highlights_and_says_i_dont_know(run: Run, folder: Path) -> None:
    run("ingest", str(folder), "--quiet")
    answer = run("ask", "Combien de jours de télétravail par semaine ?")
    assert answer.exit_code == 0, answer.output
    assert "[1]" in answer.stdout and "deux jours par semaine" in answer.stdout
    assert "Guide RH" in answer.stdout and "rh.md" in answer.stdout
    unknown = run("ask", "Quelle est la capitale de l'Australie ?")
    assert unknown.stdout.startswith("Je ne sais pas")


def test_bad_mode_and_exclusive_flags_are_usage_errors(run: Run) -> None:
    assert run("search", "x", "--mode", "magic").exit_code == 2
    both = run("ask", "--docs", "--sql", "x")
    assert both.exit_code == 2 and "--sql and --docs exclude each other" in both.output


def _sessions_started(conn: Connection[Any]) -> int:
    """Sessions ever opened to this database; a closing backend reports its own, so wait for it to settle."""
    query = "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
    seen, deadline = -1, time.monotonic() + 5
    while time.monotonic() < deadline:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(query).fetchone()
        assert row is not None
        if row[0] == seen:
            return seen
        seen = row[0]
        time.sleep(0.3)
    return seen


def test_ask_routes_retrieves_and_answers_on_one_session(run: Run, folder: Path, conn: Connection[Any]) -> None:
    run("ingest", str(folder), "--quiet")
    users.create_user(conn, "alice")
    before = _sessions_started(conn)
    answer = run("ask", "--as", "alice", "Combien de jours de télétravail par semaine ?")
    assert answer.exit_code == 0, answer.output
    assert _sessions_started(conn) - before == 1  # the route, `--as`, the retrieval: one connection
