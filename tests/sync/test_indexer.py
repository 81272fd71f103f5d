import os
from pathlib import Path
from typing import Any

import pytest
from psycopg import Connection

from sourcier.config import Settings
from sourcier.sync import FolderIndexer, IndexEvent
from tests.conftest import FakeEmbedder


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    (root / "rh").mkdir(parents=True)
    (root / "rh" / "conges.md").write_text("# Congés\n\n## Règles\n\nLes congés payés font 25 jours.\n", "utf-8")
    (root / "rh" / "teletravail.txt").write_text("Le télétravail est limité à deux jours par semaine.\n", "utf-8")
    note = "Note de service : le parking ferme à 20 h. Réservé aux salariés."
    (root / "notes.txt").write_bytes(note.encode("cp1252"))
    (root / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<")
    (root / "image.bmp").write_bytes(b"BM....")
    (root / "empty.txt").write_text("   \n", "utf-8")
    return root


def _indexer(settings: Settings, emb: FakeEmbedder, events: list[IndexEvent] | None = None) -> FolderIndexer:
    return FolderIndexer(settings=settings, embedder=emb, on_event=(events.append if events is not None else print))


def _snapshot(conn: Connection[Any]) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT d.uri, d.status, d.content_hash, c.id, c.text"
        " FROM documents d LEFT JOIN chunks c ON c.document_id = d.id ORDER BY d.uri, c.position"
    ).fetchall()


def test_ingest_indexes_good_files_and_records_bad_ones_with_reasons(
    conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder, folder: Path
) -> None:
    events: list[IndexEvent] = []
    report = _indexer(settings, fake_embedder, events).run(conn, folder)
    assert sorted(Path(p).name for p in report.ingested) == ["conges.md", "notes.txt", "teletravail.txt"]
    reasons = {Path(p).name: r for p, r in report.failed}
    assert set(reasons) == {"broken.pdf", "image.bmp", "empty.txt"}
    assert "unsupported file type .bmp" in reasons["image.bmp"]
    assert reasons["broken.pdf"] and reasons["empty.txt"]
    row = conn.execute("SELECT heading, text FROM chunks WHERE text LIKE '%%25 jours%%'").fetchone()
    assert row == ("Congés > Règles", "Les congés payés font 25 jours.")
    latin1 = conn.execute("SELECT text FROM chunks WHERE text LIKE 'Note de service%%'").fetchone()
    assert latin1 is not None and "Réservé aux salariés" in latin1[0]
    assert events[0].kind == "scanned" and events[0].count == 6
    assert sum(e.count for e in events if e.kind == "stored") == report.chunks


def test_reingesting_the_same_folder_changes_nothing(
    conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder, folder: Path
) -> None:
    _indexer(settings, fake_embedder).run(conn, folder)
    before = _snapshot(conn)
    calls = fake_embedder.calls
    report = _indexer(settings, fake_embedder).run(conn, folder)
    assert report.ingested == [] and report.deleted == []
    assert len(report.unchanged) == 3
    assert _snapshot(conn) == before
    assert fake_embedder.calls == calls


def test_touched_file_is_rehashed_not_reparsed(
    conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder, folder: Path
) -> None:
    _indexer(settings, fake_embedder).run(conn, folder)
    before = _snapshot(conn)
    path = folder / "rh" / "conges.md"
    os.utime(path, (1_900_000_000, 1_900_000_000))
    report = _indexer(settings, fake_embedder).run(conn, folder)
    assert report.ingested == [] and str(path.resolve()) in report.unchanged
    assert _snapshot(conn) == before


def test_changed_file_is_redone_and_unchanged_passages_reuse_their_vectors(
    conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder, folder: Path
) -> None:
    _indexer(settings, fake_embedder).run(conn, folder)
    path = folder / "rh" / "conges.md"
    path.write_text(path.read_text("utf-8") + "\n## Ponts\n\nLes ponts sont offerts en mai.\n", "utf-8")
    fake_embedder.embedded.clear()
    report = _indexer(settings, fake_embedder).run(conn, folder)
    assert [Path(p).name for p in report.ingested] == ["conges.md"]
    assert fake_embedder.embedded == ["Congés > Ponts\nLes ponts sont offerts en mai."]
    assert report.reused == 1 and report.embedded == 1


def test_deleted_file_disappears_from_the_index(
    conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder, folder: Path
) -> None:
    _indexer(settings, fake_embedder).run(conn, folder)
    (folder / "notes.txt").unlink()
    report = _indexer(settings, fake_embedder).run(conn, folder)
    assert [Path(p).name for p in report.deleted] == ["notes.txt"]
    assert conn.execute("SELECT count(*) FROM chunks WHERE text LIKE 'Note de service%%'").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM chunk_terms t LEFT JOIN chunks c ON c.id = t.chunk_id "
                        "WHERE c.id IS NULL").fetchone() == (0,)  # fmt: skip


def test_file_over_the_size_cap_is_refused_without_reading(
    conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder, folder: Path
) -> None:
    (folder / "huge.txt").write_text("mot " * 400_000, "utf-8")
    small = settings.model_copy(update={"max_file_mb": 1.0})
    report = _indexer(small, fake_embedder).run(conn, folder)
    reasons = {Path(p).name: r for p, r in report.failed}
    assert "over the 1 MB limit" in reasons["huge.txt"]
    assert len(report.ingested) == 3


def test_parsing_in_worker_processes_gives_the_same_index(
    conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder, folder: Path
) -> None:
    for i in range(10):
        (folder / f"extra-{i}.md").write_text(f"# Fiche {i}\n\nContenu numéro {i} de la fiche.\n", "utf-8")
    pooled = settings.model_copy(update={"parse_workers": 2})
    report = _indexer(pooled, fake_embedder).run(conn, folder)
    assert len(report.ingested) == 13
    assert conn.execute("SELECT count(*) FROM documents WHERE status = 'indexed'").fetchone() == (13,)
