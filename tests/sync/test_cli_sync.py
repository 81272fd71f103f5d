"""`sourcier source` / `sync` / `status` through the real CLI (in-process runner, fake embedder)."""

from pathlib import Path
from typing import Any

import pytest
from psycopg import Connection
from rich.console import Console
from typer.testing import CliRunner

from sourcier import cli, store
from sourcier.store import jobs, sources
from tests.conftest import FakeEmbedder, OtherFakeEmbedder


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


def test_reindex_switches_the_model_in_steps_and_a_running_sync_is_reported(
    run: Any, tmp_path: Path, conn: Connection[Any], pg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(3):
        (docs / f"n{i}.md").write_text(f"# Note {i}\n\nLe badge numéro {i} se retire à l'accueil.\n")
    assert run("source", "add", "docs", str(docs)).exit_code == 0
    assert run("sync", "docs").exit_code == 0
    with store.connect(pg) as other:  # another process holds the source's sync lock
        assert jobs.try_lock_source(other, sources.get_source(conn, "docs").id)
        busy = run("sync", "docs")
        assert busy.exit_code == 1 and "a sync of 'docs' is already running" in busy.output, busy.output
    monkeypatch.setattr(cli, "create_embedder", lambda settings: OtherFakeEmbedder())  # settings changed
    refused = run("sync", "docs")
    assert refused.exit_code == 1 and "sourcier reindex" in refused.output, refused.output
    assert "run `sourcier reindex`" in run("status").stdout
    part = run("reindex", "--limit", "1")
    assert part.exit_code == 0 and "stopped before the end; 1 passages embedded" in part.stdout, part.output
    assert "being built" in run("status").stdout
    done = run("reindex")
    assert done.exit_code == 0 and "index now on fake/bag-of-words-256 (3 passages switched)" in done.stdout
    assert "2 passages embedded" in done.stdout, done.stdout  # the first one was kept from the stopped run
    assert run("sync", "docs").exit_code == 0


def test_source_add_reaches_any_folder_but_checks_the_rest(run: Any, tmp_path: Path, conn: Connection[Any]) -> None:
    """The machine's own user is not held to source_roots, but system folders and bad principals are refused."""
    docs = tmp_path / "docs"
    docs.mkdir()
    refused = run("source", "add", "etc", "/etc")
    assert refused.exit_code == 1 and "system folder" in refused.output, refused.output
    bad = run("source", "add", "docs", str(docs), "--read", "everyone,role:admin")
    assert bad.exit_code == 1 and "is not a principal" in bad.output, bad.output
    loop = run("source", "add", "lan", "http://127.0.0.1:9/", "--kind", "web")
    assert loop.exit_code == 1 and "SOURCIER_ALLOW_PRIVATE_WEB_SOURCES" in loop.output, loop.output
    assert sources.list_sources(conn) == []
    added = run("source", "add", "docs", str(docs / ".." / "docs"))
    assert added.exit_code == 0, added.output
    assert sources.get_source(conn, "docs").location == str(docs.resolve())
