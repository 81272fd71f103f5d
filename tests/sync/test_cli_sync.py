"""`sourcier source` / `sync` / `status` through the real CLI (in-process runner, fake embedder)."""

from pathlib import Path
from typing import Any

import pytest
from psycopg import Connection
from rich.console import Console
from typer.testing import CliRunner

from sourcier import cli
from tests.conftest import FakeEmbedder


@pytest.fixture
def run(conn: Connection[Any], pg: str, fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("SOURCIER_DATABASE_URL", pg)
    monkeypatch.setenv("SOURCIER_PARSE_WORKERS", "1")
    monkeypatch.setattr(cli, "create_embedder", lambda settings: fake_embedder)
    monkeypatch.setattr(cli, "out", Console(width=250))
    runner = CliRunner()
    return lambda *args: runner.invoke(cli.app, list(args))


def test_source_add_sync_status_list_remove(run: Any, tmp_path: Path, conn: Connection[Any]) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\n\nLe badge se retire à l'accueil.\n")
    (docs / "b.txt").write_text("La cantine ouvre à midi.\n")
    added = run("source", "add", "docs", str(docs), "--every", "1h", "--read", "group:staff")
    assert added.exit_code == 0, added.output
    assert run("source", "add", "x", str(docs), "--every", "soon").exit_code == 1
    synced = run("sync")  # due sources: docs was due at once
    assert synced.exit_code == 0, synced.output
    assert "docs: 2 new, 0 modified, 0 moved" in synced.stdout
    assert run("sync").stdout.strip() == ""  # nothing due for an hour
    (docs / "b.txt").rename(docs / "c.txt")
    moved = run("sync", "docs")
    assert "1 moved" in moved.stdout and "0 passages embedded" in moved.stdout, moved.stdout
    status = run("status")
    assert status.exit_code == 0 and "docs" in status.stdout and "succeeded" in status.stdout
    assert "in 3" in status.stdout  # next run in about 3600 s
    listed = run("source", "list")
    assert "filesystem" in listed.stdout and "3600s" in listed.stdout
    assert run("sync", "nope").exit_code == 1
    assert run("source", "remove", "docs").exit_code == 0
    assert conn.execute("SELECT count(*) FROM documents").fetchone() == (0,)
