import os
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from psycopg import Connection

from sourcier import store
from sourcier.config import Settings, SourceConfig
from sourcier.store import sources
from sourcier.sync import (
    Connector,
    FetchedItem,
    FetchFailed,
    FilesystemConnector,
    IndexEvent,
    ItemRef,
    ListingProblem,
    Scheduler,
    SyncAlreadyRunning,
    SyncEngine,
    SyncReport,
    create_connector,
    parse_every,
    sync_declared_sources,
)
from tests.conftest import FakeEmbedder


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    (root / "rh").mkdir(parents=True)
    for i in range(6):
        (root / "rh" / f"note{i}.md").write_text(f"# Note {i}\n\nLe sujet numéro {i} concerne le service {i * 7}.\n")
    return root


@pytest.fixture
def quick(settings: Settings) -> Settings:
    return settings.model_copy(update={"sync_retry_base_s": 0.0})


def _add(conn: Connection[Any], folder: Path, name: str = "docs", every_s: int | None = None) -> None:
    sources.add_source(conn, name=name, kind="filesystem", location=str(folder), every_s=every_s, read=["everyone"])


def _engine(settings: Settings, emb: FakeEmbedder, **kw: Any) -> SyncEngine:
    return SyncEngine(settings=settings, embedder=emb, **kw)


def test_rename_keeps_the_document_and_its_passages_and_embeds_nothing(
    conn: Connection[Any], quick: Settings, fake_embedder: FakeEmbedder, folder: Path
) -> None:
    _add(conn, folder)
    first = _engine(quick, fake_embedder).run(conn, "docs")
    assert first.counts["new"] == 6
    before = conn.execute("SELECT id, (SELECT array_agg(id ORDER BY id) FROM chunks WHERE document_id = d.id)"
                          " FROM documents d WHERE uri = 'rh/note3.md'").fetchone()  # fmt: skip
    (folder / "archive").mkdir()
    (folder / "rh" / "note3.md").rename(folder / "archive" / "old-note3.md")
    calls = fake_embedder.calls
    report = _engine(quick, fake_embedder).run(conn, "docs")
    assert report.moved == [("rh/note3.md", "archive/old-note3.md")]
    assert fake_embedder.calls == calls  # zero embeddings
    assert report.counts["moved"] == 1 and report.counts["embedded"] == 0 and report.deleted == []
    after = conn.execute("SELECT id, (SELECT array_agg(id ORDER BY id) FROM chunks WHERE document_id = d.id), path"
                         " FROM documents d WHERE uri = 'archive/old-note3.md'").fetchone()  # fmt: skip
    assert after is not None and before is not None and after[:2] == before
    assert after[2] == str((folder / "archive" / "old-note3.md").resolve())  # citations follow the new path


def test_new_modified_deleted_and_unchanged_in_one_run(
    conn: Connection[Any], quick: Settings, fake_embedder: FakeEmbedder, folder: Path
) -> None:
    _add(conn, folder)
    _engine(quick, fake_embedder).run(conn, "docs")
    (folder / "rh" / "note0.md").write_text("# Note 0\n\nUn tout autre sujet, désormais.\n")
    (folder / "rh" / "note1.md").unlink()
    (folder / "new.txt").write_text("Un document tout neuf sur la cantine.\n")
    report = _engine(quick, fake_embedder).run(conn, "docs")
    assert report.counts["new"] == 1 and report.counts["modified"] == 1 and report.counts["deleted"] == 1
    assert report.counts["unchanged"] == 4 and report.unread == 4  # four files not even read
    assert conn.execute("SELECT count(*) FROM documents").fetchone() == (6,)
    assert conn.execute("SELECT count(*) FROM chunks WHERE text LIKE '%%service 7.%%'").fetchone() == (0,)
    run = sources.recent_runs(conn, "docs", 1)[0]
    assert run.status == "succeeded" and run.progress_done == run.progress_total == 2
    again = _engine(quick, fake_embedder).run(conn, "docs")
    assert again.counts.get("new", 0) == again.counts.get("modified", 0) == 0 and again.unread == 6


def test_a_second_sync_of_the_same_source_is_refused_while_one_runs(
    conn: Connection[Any], pg: str, quick: Settings, fake_embedder: FakeEmbedder, folder: Path
) -> None:
    _add(conn, folder)
    source_id = sources.get_source(conn, "docs").id
    with store.connect(pg) as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", (0x50C7, source_id))
        with pytest.raises(SyncAlreadyRunning):
            _engine(quick, fake_embedder).run(conn, "docs")
        other_pid = other.info.backend_pid
    # The server ends a closed connection's backend (and drops its locks) a moment after the client leaves.
    deadline = time.monotonic() + 10
    while conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (other_pid,)).fetchone() is not None:
        assert time.monotonic() < deadline, "the closed connection's backend is still there"
        time.sleep(0.01)
    assert _engine(quick, fake_embedder).run(conn, "docs").counts["new"] == 6  # lock gone with the connection


def test_a_dead_run_is_marked_interrupted_by_the_next_one(
    conn: Connection[Any], quick: Settings, fake_embedder: FakeEmbedder, folder: Path
) -> None:
    _add(conn, folder)
    source_id = sources.get_source(conn, "docs").id
    conn.execute("INSERT INTO sync_runs (source_id) VALUES (%s)", (source_id,))
    report = _engine(quick, fake_embedder).run(conn, "docs")
    assert len(report.interrupted_runs) == 1
    runs = sources.recent_runs(conn, "docs", 5)
    assert [r.status for r in runs] == ["succeeded", "interrupted"]
    listed = sources.list_sources(conn)[0]
    assert listed.documents == 6 and listed.last_run_status == "succeeded" and not listed.running


class _Flaky:
    """The filesystem, except that some items cannot be fetched (what a FIFO, an unmounted share or a
    permission error look like to the engine: tests run as root, so chmod 000 would not deny reads)."""

    kind = "filesystem"

    def __init__(self, inner: Connector, failing: set[str]) -> None:
        self.inner, self.failing = inner, failing

    def list_items(self) -> Iterator[ItemRef | ListingProblem]:
        return self.inner.list_items()

    def fetch(self, ref: ItemRef, *, known_version: str | None, scratch: Path) -> FetchedItem:
        if ref.uri in self.failing:
            raise FetchFailed("permission denied (simulated)")
        return self.inner.fetch(ref, known_version=known_version, scratch=scratch)

    def close(self) -> None:
        self.inner.close()


def test_unreadable_item_is_recorded_the_rest_goes_on_and_it_is_retried_with_backoff(
    conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder, folder: Path
) -> None:
    _add(conn, folder)
    failing = {"rh/note2.md"}

    def factory(kind: str, location: str, s: Settings, opts: Mapping[str, Any]) -> Connector:
        return _Flaky(create_connector(kind, location, s, opts), failing)

    slow_retry = settings.model_copy(update={"sync_retry_base_s": 3600.0})
    report = _engine(slow_retry, fake_embedder, connector_factory=factory).run(conn, "docs")
    assert report.counts["new"] == 5 and report.counts["failed"] == 1
    run = sources.recent_runs(conn, "docs", 1)[0]
    assert [(e.uri, e.reason) for e in sources.run_errors(conn, run.id)] == [
        ("rh/note2.md", "permission denied (simulated)")
    ]
    retry = conn.execute("SELECT attempts, next_retry_at > now() + interval '50 minutes' FROM sync_retries").fetchone()
    assert retry == (1, True)
    again = _engine(slow_retry, fake_embedder, connector_factory=factory).run(conn, "docs")
    assert again.waiting == [str((folder / "rh" / "note2.md").resolve())]  # backoff: not retried yet
    conn.execute("UPDATE sync_retries SET next_retry_at = now()")
    failing.clear()
    third = _engine(slow_retry, fake_embedder, connector_factory=factory).run(conn, "docs")
    assert third.counts["new"] == 1 and conn.execute("SELECT count(*) FROM sync_retries").fetchone() == (0,)


class _HalfListed(_Flaky):
    """A source one of whose folders cannot be listed (what os.walk reports for an unreadable folder)."""

    def list_items(self) -> Iterator[ItemRef | ListingProblem]:
        yield ListingProblem("archive", "cannot list folder: Permission denied")
        yield from self.inner.list_items()


def test_listing_problems_and_failed_items_count_in_the_run_errors(
    conn: Connection[Any], quick: Settings, fake_embedder: FakeEmbedder, folder: Path
) -> None:
    _add(conn, folder)

    def factory(kind: str, location: str, s: Settings, opts: Mapping[str, Any]) -> Connector:
        return _HalfListed(create_connector(kind, location, s, opts), {"rh/note2.md"})

    report = _engine(quick, fake_embedder, connector_factory=factory).run(conn, "docs")
    assert report.counts["listing_errors"] == 1 and report.counts["failed"] == 1
    assert report.counts["errors"] == 2
    run = sources.recent_runs(conn, "docs", 1)[0]
    assert {e.uri for e in sources.run_errors(conn, run.id)} == {"archive", "rh/note2.md"}
    assert run.counts["errors"] == 2


def test_file_modified_while_being_read_is_not_stored_and_is_retried(
    conn: Connection[Any], quick: Settings, fake_embedder: FakeEmbedder, folder: Path
) -> None:
    _add(conn, folder)
    target = folder / "rh" / "note4.md"

    def meddle(e: IndexEvent) -> None:
        if e.kind == "parsed" and e.path.endswith("note4.md"):
            target.write_text("# Note 4\n\nRéécrite pendant la lecture, bien plus longue qu'avant.\n")

    report = _engine(quick, fake_embedder, on_event=meddle).run(conn, "docs")
    assert (str(target.resolve()), "the file changed while it was being read") in report.failed
    assert conn.execute("SELECT count(*) FROM documents WHERE uri = 'rh/note4.md'").fetchone() == (0,)
    again = _engine(quick, fake_embedder).run(conn, "docs")
    assert again.counts["new"] == 1
    assert conn.execute("SELECT count(*) FROM chunks WHERE text LIKE 'Réécrite%%'").fetchone() == (1,)


def test_sparse_2gb_file_and_symlink_loop_are_reported_without_reading(
    conn: Connection[Any], quick: Settings, fake_embedder: FakeEmbedder, folder: Path
) -> None:
    subprocess.run(["truncate", "-s", "2G", str(folder / "huge.txt")], check=True)
    os.symlink("loop-b.txt", folder / "loop-a.txt")
    os.symlink("loop-a.txt", folder / "loop-b.txt")
    _add(conn, folder)
    report = _engine(quick, fake_embedder).run(conn, "docs")
    reasons = dict(report.failed)
    assert "over the 50 MB limit" in reasons[str((folder / "huge.txt").resolve())]
    assert any("loop-a.txt" in p and "cannot read file" in r for p, r in report.failed)
    assert report.counts["new"] == 6
    assert report.seconds["wall"] < 30  # 2 GB were never read


def test_sources_from_config_and_the_schedule(
    conn: Connection[Any], quick: Settings, fake_embedder: FakeEmbedder, folder: Path
) -> None:
    assert parse_every("1h") == 3600 and parse_every("90s") == 90 and parse_every("2d") == 172800
    declared = [SourceConfig(name="rh", location=str(folder / "rh"), every="1h", read=["group:rh"])]
    elsewhere = quick.model_copy(update={"home": quick.home / "home"})  # `folder` is in tmp_path, the fixture's home
    assert sync_declared_sources(conn, declared, settings=elsewhere) == ["rh"]
    _add(conn, folder, name="manual")  # on demand: never due
    reports = Scheduler(settings=quick, embedder=fake_embedder).run_due(conn)
    assert [r.source for r in reports] == ["rh"]
    assert Scheduler(settings=quick, embedder=fake_embedder).run_due(conn) == []  # next run in an hour
    row = {s.name: s for s in sources.list_sources(conn)}
    assert row["rh"].documents == 6 and row["rh"].default_acl == ["group:rh"] and row["rh"].next_run_at is not None
    assert row["manual"].next_run_at is not None and row["manual"].documents == 0
    assert conn.execute("SELECT DISTINCT acl FROM chunks").fetchall() == [(["group:rh"],)]
    sources.remove_source(conn, "rh")
    assert conn.execute("SELECT count(*) FROM documents").fetchone() == (0,)


def test_the_watching_scheduler_syncs_on_the_connection_it_is_given(
    conn: Connection[Any], quick: Settings, fake_embedder: FakeEmbedder, folder: Path
) -> None:
    """sourcier.toml's sources are stored, then what is due runs, all on the caller's connection: no database
    of its own, so it reaches whichever one the process was composed with."""
    declared = [SourceConfig(name="rh", location=str(folder / "rh"), every="1h")]
    settings = quick.model_copy(update={"home": quick.home / "home", "sources": declared})
    stop = threading.Event()
    reports: list[SyncReport] = []

    def first_report_stops(report: SyncReport) -> None:
        reports.append(report)
        stop.set()

    scheduler = Scheduler(settings=settings, embedder=fake_embedder, on_report=first_report_stops, poll_s=0.01)
    watching = threading.Thread(target=scheduler.watch, args=(conn, stop), daemon=True)
    watching.start()
    watching.join(timeout=60)
    assert not watching.is_alive()
    assert [(r.source, r.counts["new"]) for r in reports] == [("rh", 6)]
    assert {s.name: s.documents for s in sources.list_sources(conn)} == {"rh": 6}


def test_filesystem_connector_lists_acls_and_rule_problems(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("x")
    (tmp_path / "a" / ".sourcier-access.toml").write_text('read = ["group:a"]')
    (tmp_path / "b.txt").write_text("b")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / ".sourcier-access.toml").write_text("read = 3")
    items = list(FilesystemConnector(root=tmp_path, default_acl=("everyone",)).list_items())
    refs = {i.uri: i for i in items if isinstance(i, ItemRef)}
    assert refs["a/x.txt"].acl == ("group:a",) and refs["b.txt"].acl == ("everyone",)
    assert refs["b.txt"].version.startswith("1:20")
    problems = [i for i in items if isinstance(i, ListingProblem)]
    assert len(problems) == 1 and problems[0].uri == "bad/.sourcier-access.toml"
