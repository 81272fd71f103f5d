"""What every test starts from (tests/conftest.py): empty tables, no SOURCIER_* variable, no sourcier.toml.

The tables are read from the catalogue rather than listed, so these tests check the catalogue query
against tables nobody listed, and the assumption that lets it skip only the migration record: that
migrations seed no rows a test would then miss.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import Connection, sql
from psycopg.conninfo import make_conninfo

from sourcier import store
from sourcier.config import Settings
from sourcier.store import users
from tests.conftest import KEPT_TABLES, ROOT, SOURCIER_ENV_PREFIX, FakeEmbedder, add_document, empty_tables

FRESH_DB = "sourcier_isolation_fresh"
NOTE = "Le télétravail est possible le lundi."

# Not the conftest's query: the information schema's own view of the same tables, to compare with.
_BASE_TABLES = """
SELECT table_name FROM information_schema.tables
WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
"""


def _base_tables(conn: Connection[Any]) -> set[str]:
    return {row[0] for row in conn.execute(_BASE_TABLES)}


def _row_counts(conn: Connection[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in sorted(_base_tables(conn)):
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))).fetchone()
        assert row is not None
        counts[name] = row[0]
    return counts


def test_every_table_but_the_migration_record_is_emptied(conn: Connection[Any], fake_embedder: FakeEmbedder) -> None:
    first = add_document(conn, fake_embedder, "guide.md", ["everyone"], [NOTE])
    users.create_user(conn, "alice")
    users.create_group(conn, "rh")
    users.add_member(conn, "rh", "alice")
    users.create_token(conn, "alice", days=1)
    filled = {name for name, n in _row_counts(conn).items() if n}
    assert {"documents", "chunks", "chunk_terms", "users", "api_tokens"} <= filled

    emptied = empty_tables(conn)

    assert set(emptied) == _base_tables(conn) - KEPT_TABLES
    assert {name: n for name, n in _row_counts(conn).items() if n} == {
        "schema_migrations": len(store.migration_files())
    }
    # The counters behind the ids restarted (identities, or sequences owned by an id column): the same
    # first document gets the same id, whatever tests ran before.
    assert add_document(conn, fake_embedder, "guide.md", ["everyone"], [NOTE]) == first


def test_a_table_nobody_listed_is_emptied_too(conn: Connection[Any]) -> None:
    """What a future migration's table gets: emptied with the others, without editing tests/conftest.py."""
    conn.execute("CREATE TABLE isolation_probe (id bigint GENERATED ALWAYS AS IDENTITY, note text)")
    try:
        conn.execute("INSERT INTO isolation_probe (note) VALUES ('left by a test')")
        assert "isolation_probe" in empty_tables(conn)
        assert conn.execute("SELECT count(*) FROM isolation_probe").fetchone() == (0,)
    finally:
        conn.execute("DROP TABLE isolation_probe")


def test_migrations_seed_no_rows_that_emptying_would_lose(pg: str) -> None:
    """A fresh migrated database holds rows in KEPT_TABLES only: no reference data that the first test's
    emptying would take from every test after it. A migration that seeds rows must add its table to
    KEPT_TABLES (and its tests must not write to it)."""
    with psycopg.connect(pg, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {FRESH_DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {FRESH_DB}")
    try:
        with store.connect(make_conninfo(pg, dbname=FRESH_DB)) as fresh:
            store.migrate(fresh)
            seeded = {name for name, n in _row_counts(fresh).items() if n}
            assert seeded <= KEPT_TABLES, f"migrations seed {sorted(seeded - KEPT_TABLES)}: add them to KEPT_TABLES"
    finally:
        with psycopg.connect(pg, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {FRESH_DB} WITH (FORCE)")


@pytest.fixture(scope="module")
def module_setup_view() -> Iterator[tuple[Path, list[str]]]:
    """The working directory and SOURCIER_* variables a module-wide fixture sees: these are set up before
    any function-scoped fixture, the session-wide isolation is all that protects them."""
    yield Path.cwd(), [name for name in os.environ if name.startswith(SOURCIER_ENV_PREFIX)]


def test_module_fixtures_see_neither_the_checkout_nor_the_shell(module_setup_view: tuple[Path, list[str]]) -> None:
    cwd, variables = module_setup_view
    assert variables == []
    assert cwd != ROOT and not (cwd / "sourcier.toml").exists()


def test_each_test_runs_in_its_own_empty_folder_with_default_settings(tmp_path: Path) -> None:
    assert Path.cwd() == tmp_path and list(tmp_path.iterdir()) == []
    assert not [name for name in os.environ if name.startswith(SOURCIER_ENV_PREFIX)]
    settings = Settings(home=tmp_path)
    for name, field in Settings.model_fields.items():
        if name != "home":
            assert getattr(settings, name) == field.get_default(call_default_factory=True, validated_data={}), name


def test_settings_read_the_working_directory_s_toml_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why the isolation changes directory: sourcier.toml is looked up in the working directory."""
    (tmp_path / "sourcier.toml").write_text("top_k = 7\nchunk_tokens = 200\n", "utf-8")
    monkeypatch.setenv("SOURCIER_TOP_K", "3")
    settings = Settings(home=tmp_path)
    assert (settings.top_k, settings.chunk_tokens) == (3, 200)  # the environment over the file
