"""Symbolic links are never followed: a link in a public folder pointing at an HR file (or out of the source)
would carry the public folder's access list and the HR file's content. Every link is reported to the admin
as a listing problem; reading a file refuses one that appeared since the listing; serving the original file
refuses one too; a rule file that is a link is not read (its folder closes to admins)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from psycopg import Connection

from sourcier.config import Settings
from sourcier.store import sources
from sourcier.sync import FetchFailed, FilesystemConnector, FolderIndexer, ItemRef, ListingProblem
from sourcier.sync._access import ACCESS_FILE, AccessRules
from tests.api.conftest import Api, api, people
from tests.conftest import FakeEmbedder

__all__ = ["api", "people"]  # the API fixtures (alice in group rh, bob plain), shared with tests/api

SECRET = "# Plan Aurore\n\nLe plan Aurore supprime 37 postes à Vénissieux.\n"
OUTSIDE_SECRET = "# Serveur Kestrel\n\nLe mot de passe du serveur Kestrel est hibiscus-42.\n"
PUBLIC = "# Guide\n\nLa cantine ouvre à midi, le plan de la cantine est affiché.\n"
LINK = "a symbolic link, not followed"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the source, never part of it."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "kestrel.md").write_text(OUTSIDE_SECRET, "utf-8")
    return folder


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """public/ for everyone, rh/ for group rh."""
    docs = tmp_path / "docs"
    (docs / "public").mkdir(parents=True)
    (docs / "rh").mkdir()
    (docs / ACCESS_FILE).write_text('read = ["everyone"]\n', "utf-8")
    (docs / "public" / "guide.md").write_text(PUBLIC, "utf-8")
    (docs / "rh" / ACCESS_FILE).write_text('read = ["group:rh"]\n', "utf-8")
    (docs / "rh" / "plan-aurore.md").write_text(SECRET, "utf-8")
    return docs


def _index(conn: Connection[Any], settings: Settings, embedder: FakeEmbedder, root: Path) -> dict[str, str]:
    """Sync the folder as source "docs": the run's errors, uri -> reason."""
    FolderIndexer(settings=settings, embedder=embedder).run(conn, root, source_name="docs")
    run = sources.recent_runs(conn, "docs", 1)[0]
    assert run.status == "succeeded"
    return {e.uri: e.reason for e in sources.run_errors(conn, run.id)}


def _uris(conn: Connection[Any]) -> set[str]:
    return {r[0] for r in conn.execute("SELECT uri FROM documents")}


def _everything_bob_gets(api: Api, question: str) -> str:
    """Bob's search and ask responses (less the question they echo), and the file of every document cited."""
    bob = api.token("bob")
    found = api.client.post("/api/v1/search", json={"query": question}, headers=bob)
    asked = api.client.post("/api/v1/ask", json={"question": question, "stream": False}, headers=bob)
    assert found.status_code == asked.status_code == 200
    rows = found.json()["passages"] + asked.json().get("citations", [])
    files = [api.client.get(f"/api/v1/documents/{r['document_id']}/file", headers=bob) for r in rows]
    answers = json.dumps([found.json(), asked.json()], ensure_ascii=False).replace(question, "")
    return answers + "".join(f.text for f in files)


def test_a_link_to_an_hr_file_is_not_indexed_and_is_reported(
    api: Api, people: None, settings: Settings, fake_embedder: FakeEmbedder, root: Path
) -> None:
    os.symlink("../rh/plan-aurore.md", root / "public" / "aurore.md")
    errors = _index(api.conn, settings, fake_embedder, root)
    assert errors == {"public/aurore.md": f"cannot read file: {LINK}"}
    assert _uris(api.conn) == {"public/guide.md", "rh/plan-aurore.md"}
    leaked = _everything_bob_gets(api, "plan Aurore postes Vénissieux")
    assert "Aurore" not in leaked and "37 postes" not in leaked
    alice = api.token("alice")
    hits = api.client.post("/api/v1/search", json={"query": "plan Aurore postes"}, headers=alice).json()["passages"]
    secret = [h for h in hits if "37 postes" in h["text"]]
    assert secret and secret[0]["path"].endswith("rh/plan-aurore.md")
    original = api.client.get(f"/api/v1/documents/{secret[0]['document_id']}/file", headers=alice)
    assert original.status_code == 200 and "37 postes" in original.text


def test_a_link_to_a_file_outside_the_source_is_not_indexed(
    api: Api, people: None, settings: Settings, fake_embedder: FakeEmbedder, root: Path, outside: Path
) -> None:
    os.symlink(outside / "kestrel.md", root / "public" / "kestrel.md")
    errors = _index(api.conn, settings, fake_embedder, root)
    assert errors == {"public/kestrel.md": f"cannot read file: {LINK}"}
    assert _uris(api.conn) == {"public/guide.md", "rh/plan-aurore.md"}
    assert "hibiscus" not in _everything_bob_gets(api, "mot de passe serveur Kestrel")


def test_folder_links_inside_and_outside_are_not_followed_and_are_reported(
    conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder, root: Path, outside: Path
) -> None:
    os.symlink("../rh", root / "public" / "rh-copy")
    os.symlink(outside, root / "public" / "ext")
    errors = _index(conn, settings, fake_embedder, root)
    assert errors == {"public/rh-copy": f"cannot list folder: {LINK}", "public/ext": f"cannot list folder: {LINK}"}
    assert _uris(conn) == {"public/guide.md", "rh/plan-aurore.md"}


def test_link_loops_and_a_folder_linking_to_its_parent_are_reported(
    conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder, root: Path
) -> None:
    os.symlink("b.md", root / "public" / "a.md")
    os.symlink("a.md", root / "public" / "b.md")
    os.symlink("..", root / "public" / "up")
    errors = _index(conn, settings, fake_embedder, root)
    assert errors == {
        "public/a.md": f"cannot read file: {LINK}",
        "public/b.md": f"cannot read file: {LINK}",
        "public/up": f"cannot list folder: {LINK}",
    }
    assert _uris(conn) == {"public/guide.md", "rh/plan-aurore.md"}


def test_a_dangling_link_is_reported_as_a_link(
    conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder, root: Path
) -> None:
    os.symlink("../rh/gone.md", root / "public" / "gone.md")
    assert _index(conn, settings, fake_embedder, root) == {"public/gone.md": f"cannot read file: {LINK}"}


def test_a_file_replaced_by_a_link_loses_its_document_at_the_next_run(
    api: Api, people: None, settings: Settings, fake_embedder: FakeEmbedder, root: Path
) -> None:
    """A reported link is not "could not be listed, keep what was indexed": it will never be read again."""
    (root / "public" / "notes.md").write_text("# Notes\n\nLes notes de la réunion cantine.\n", "utf-8")
    assert _index(api.conn, settings, fake_embedder, root) == {}
    (root / "public" / "notes.md").unlink()
    os.symlink("../rh/plan-aurore.md", root / "public" / "notes.md")
    assert _index(api.conn, settings, fake_embedder, root) == {"public/notes.md": f"cannot read file: {LINK}"}
    assert _uris(api.conn) == {"public/guide.md", "rh/plan-aurore.md"}
    assert "Aurore" not in _everything_bob_gets(api, "notes réunion plan Aurore")


def test_the_original_file_is_not_served_through_a_link_that_replaced_it(
    api: Api, people: None, settings: Settings, fake_embedder: FakeEmbedder, root: Path
) -> None:
    (root / "public" / "notes.md").write_text("# Notes\n\nLes notes de la réunion cantine.\n", "utf-8")
    _index(api.conn, settings, fake_embedder, root)
    bob = api.token("bob")
    hits = api.client.post("/api/v1/search", json={"query": "notes réunion"}, headers=bob).json()["passages"]
    doc = next(h["document_id"] for h in hits if h["path"].endswith("notes.md"))
    assert api.client.get(f"/api/v1/documents/{doc}/file", headers=bob).status_code == 200
    (root / "public" / "notes.md").unlink()
    os.symlink("../rh/plan-aurore.md", root / "public" / "notes.md")  # before any new sync
    served = api.client.get(f"/api/v1/documents/{doc}/file", headers=bob)
    missing = api.client.get("/api/v1/documents/987654/file", headers=bob)
    assert served.status_code == missing.status_code == 404 and served.content == missing.content


def _listed(root: Path) -> tuple[FilesystemConnector, dict[str, ItemRef]]:
    connector = FilesystemConnector(root=root)
    return connector, {i.uri: i for i in connector.list_items() if isinstance(i, ItemRef)}


def test_a_file_replaced_by_a_link_between_listing_and_fetch_is_refused(root: Path, tmp_path: Path) -> None:
    connector, refs = _listed(root)
    ref = refs["public/guide.md"]
    assert connector.fetch(ref, known_version=None, scratch=tmp_path).local_path == Path(ref.path)
    (root / "public" / "guide.md").unlink()
    os.symlink("../rh/plan-aurore.md", root / "public" / "guide.md")
    with pytest.raises(FetchFailed, match=LINK):
        connector.fetch(ref, known_version=None, scratch=tmp_path)


def test_a_folder_replaced_by_a_link_between_listing_and_fetch_is_refused(root: Path, tmp_path: Path) -> None:
    connector, refs = _listed(root)
    ref = refs["public/guide.md"]
    (root / "public").rename(root / "old-public")
    (root / "rh" / "guide.md").write_text(SECRET, "utf-8")  # the same name, in the HR folder
    os.symlink("rh", root / "public")
    with pytest.raises(FetchFailed, match=LINK):
        connector.fetch(ref, known_version=None, scratch=tmp_path)


def test_a_path_outside_the_source_is_never_fetched(root: Path, outside: Path, tmp_path: Path) -> None:
    connector, refs = _listed(root)
    ref = refs["public/guide.md"]
    for path in (outside / "kestrel.md", root / "public" / ".." / ".." / "outside" / "kestrel.md"):
        forged = ItemRef(uri=ref.uri, path=str(path), version=ref.version)
        with pytest.raises(FetchFailed, match="outside the source's folder"):
            connector.fetch(forged, known_version=None, scratch=tmp_path)


def test_a_rule_file_that_is_a_link_is_ignored_and_closes_its_folder(root: Path) -> None:
    (root / "rh" / ACCESS_FILE).unlink()
    os.symlink(f"../{ACCESS_FILE}", root / "rh" / ACCESS_FILE)  # the root's rule: everyone
    rules = AccessRules.load(root)
    assert rules.acl_for("rh/plan-aurore.md") == ("role:admin",)
    assert rules.acl_for("public/guide.md") == ("everyone",)
    assert rules.problems == [
        (str(root / "rh" / ACCESS_FILE), f"access rules ignored, folder restricted to admins: {LINK}")
    ]
    problems = [p for p in FilesystemConnector(root=root).list_items() if isinstance(p, ListingProblem)]
    assert [(p.uri, p.reason) for p in problems] == [(f"rh/{ACCESS_FILE}", rules.problems[0][1])]


def test_a_rule_file_in_a_linked_folder_is_never_read(root: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ACCESS_FILE).write_text('read = ["everyone"]\n', "utf-8")
    (elsewhere / "x.md").write_text(OUTSIDE_SECRET, "utf-8")
    os.symlink(elsewhere, root / "rh" / "linked")
    rules = AccessRules.load(root)
    assert "rh/linked" not in rules.folders and rules.acl_for("rh/linked/x.md") == ("group:rh",)
    items = list(FilesystemConnector(root=root).list_items())
    assert [(p.uri, p.reason) for p in items if isinstance(p, ListingProblem)] == [
        ("rh/linked", f"cannot list folder: {LINK}")
    ]
    assert {i.uri for i in items if isinstance(i, ItemRef)} == {"public/guide.md", "rh/plan-aurore.md"}
