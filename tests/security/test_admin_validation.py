"""What an admin may point a source at, through the API (a remote admin) and sourcier.toml: names, principals,
folders (under the allowed roots only, never the system or sourcier's own data) and web sites (public addresses
only, unless the server allows private ones). Every refusal is a 400 with a message that says what to write."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from psycopg import Connection

from sourcier.config import Settings, SourceConfig
from sourcier.errors import ConfigError, SyncError
from sourcier.store import sources
from sourcier.sync import Scheduler, SyncEngine, _validate, sync_declared_sources
from sourcier.types import PRINCIPAL_PATTERN
from tests.api.conftest import Api, api, people
from tests.conftest import FakeEmbedder

__all__ = ["api", "people"]  # the API fixtures, shared with tests/api

PUBLIC = "93.184.216.34"


@pytest.fixture
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder outside sourcier's home (the `settings` fixture's home is the test's tmp_path)."""
    root = tmp_path_factory.mktemp("shared")
    (root / "docs").mkdir()
    (root / "docs" / "note.md").write_text("# Note\n\nLa cantine ouvre à midi.\n")
    return root


@pytest.fixture
def admin(api: Api, people: None) -> dict[str, str]:
    return api.token("root")


@pytest.fixture
def public_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Names ending in .example resolve to a public address; others as the system resolves them."""
    real = _validate.resolve

    def fake(host: str, port: int) -> list[str]:
        return [PUBLIC] if host.endswith(".example") else real(host, port)

    monkeypatch.setattr(_validate, "resolve", fake)
    yield


def _allow(api: Api, **changes: Any) -> None:
    api.app.state.settings = api.app.state.settings.model_copy(update=changes)


def _add(api: Api, headers: dict[str, str], **body: Any) -> Any:
    payload = {"name": "docs", "kind": "filesystem", "read": ["everyone"], **body}
    return api.client.post("/api/v1/admin/sources", json=payload, headers=headers)


def _refused(response: Any, *words: str) -> str:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid", error
    for w in words:
        assert w in error["message"], error["message"]
    return str(error["message"])


def test_the_principal_pattern_takes_one_whole_principal() -> None:
    for good in ("everyone", "role:admin", "user:alice", "group:rh", "user:a.b@x-y_z"):
        assert PRINCIPAL_PATTERN.match(good), good
    for bad in ("everyone,role:admin", "tout le monde", "everyone\n", "group:", "user:Alice", "role:root",
                "group:rh staff", "user:bob;group:rh", " everyone"):  # fmt: skip
        assert not PRINCIPAL_PATTERN.match(bad), bad


def test_names_and_principals_are_checked(api: Api, admin: dict[str, str], shared: Path) -> None:
    _allow(api, source_roots=[shared])
    folder = str(shared / "docs")
    _refused(_add(api, admin, name="my docs", location=folder), "'my docs' is not a valid source name")
    _refused(_add(api, admin, name="Docs", location=folder), "not a valid source name")
    _refused(_add(api, admin, name="-x", location=folder), "not a valid source name")
    for bad in ("everyone,role:admin", "tout le monde", "everyone\n", "group:"):
        message = _refused(_add(api, admin, location=folder, read=[bad]), "is not a principal")
        assert "everyone" in message
    r = api.client.post("/api/v1/admin/sources", json={"name": "docs", "location": folder, "read": ["x"]},
                        headers=admin)  # fmt: skip
    assert "user:NAME or group:NAME" in r.json()["error"]["message"]
    assert sources.list_sources(api.conn) == []
    ok = _add(api, admin, name="shared-docs_2.0", location=folder, read=["group:rh", "user:alice"])
    assert ok.status_code == 201, ok.text
    assert sources.get_source(api.conn, "shared-docs_2.0").location == folder


def test_the_api_adds_folders_under_the_allowed_roots_only(
    api: Api, admin: dict[str, str], shared: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = shared / "docs"
    # No roots configured: the API cannot add a folder at all.
    _refused(_add(api, admin, location=str(folder)), "does not let folders be added", "SOURCIER_SOURCE_ROOTS")
    _allow(api, source_roots=[shared])
    outside = tmp_path_factory.mktemp("elsewhere")
    _refused(_add(api, admin, location=str(outside)), "not under a folder this server allows")
    _refused(_add(api, admin, location=str(shared / "docs" / ".." / ".." / outside.name)), "not under a folder")
    (shared / "escape").symlink_to(outside)  # resolved before the check
    _refused(_add(api, admin, location=str(shared / "escape")), "not under a folder this server allows")
    _refused(_add(api, admin, location="docs"), "not an absolute path")
    _refused(_add(api, admin, location="~/docs"), "not an absolute path")
    _refused(_add(api, admin, location=str(shared / "missing")), "does not exist or is not a folder")
    _refused(_add(api, admin, location=str(folder / "note.md")), "does not exist or is not a folder")
    # Outside the roots, nothing says whether a folder exists.
    assert _refused(_add(api, admin, location="/nowhere/at/all"), "not under") == _refused(
        _add(api, admin, location="/nowhere/at/all"), "not under"
    )
    assert _add(api, admin, location=str(folder)).status_code == 201
    assert sources.list_sources(api.conn)[0].location == str(folder.resolve())
    moved = api.client.patch("/api/v1/admin/sources/docs", json={"location": str(outside)}, headers=admin)
    assert moved.status_code == 400
    assert api.client.patch("/api/v1/admin/sources/docs", json={"read": ["everyone,role:admin"]},
                            headers=admin).status_code == 400  # fmt: skip
    assert api.client.patch("/api/v1/admin/sources/docs", json={"read": ["group:rh"]}, headers=admin).status_code == 200
    assert sources.get_source(api.conn, "docs").location == str(folder.resolve())


def test_system_folders_and_sourcier_home_are_never_sources(
    api: Api, admin: dict[str, str], settings: Settings
) -> None:
    _allow(api, source_roots=[Path("/")])  # even a careless owner's roots do not open these
    _refused(_add(api, admin, location="/"), "filesystem root")
    for system in ("/etc", "/proc", "/sys/kernel", "/dev"):
        _refused(_add(api, admin, location=system), "system folder")
    home = settings.home
    (home / "pgdata-like").mkdir(exist_ok=True)
    _refused(_add(api, admin, location=str(home)), "sourcier's own data directory")
    _refused(_add(api, admin, location=str(home / "pgdata-like")), "sourcier's own data directory")
    _refused(_add(api, admin, location=str(home.parent)), "sourcier's own data directory")
    assert sources.list_sources(api.conn) == []


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://127.0.0.1:8000/", "a loopback address"),
        ("http://localhost/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.1.2.3/", "a private address"),
        ("http://192.168.0.1/", "private"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://100.64.0.1/", "non-public"),
        ("ftp://intranet.example/", "not an http(s) URL"),
        ("file:///etc/passwd", "not an http(s) URL"),
        ("http:///docs", "has no host"),
        ("https://intranet.example:99999/", "invalid port"),
        ("https://no-such-host.invalid/", "could not be resolved"),
    ],
)
def test_web_sources_must_be_public_http_sites(
    api: Api, admin: dict[str, str], public_dns: None, url: str, words: str
) -> None:
    message = _refused(_add(api, admin, kind="web", location=url), words)
    if "address" in words or words in ("loopback", "private", "link-local", "unspecified", "multicast"):
        assert (
            "SOURCIER_ALLOW_PRIVATE_WEB_SOURCES"
            in api.client.post(
                "/api/v1/admin/sources", json={"name": "w", "kind": "web", "location": url}, headers=admin
            ).text
        )
    assert message.startswith("web source:")
    assert sources.list_sources(api.conn) == []


def test_public_sites_are_added_and_private_ones_when_the_server_allows(
    api: Api, admin: dict[str, str], public_dns: None
) -> None:
    assert _add(api, admin, name="intranet", kind="web", location="https://intranet.example/docs/").status_code == 201
    assert sources.get_source(api.conn, "intranet").location == "https://intranet.example/docs/"
    _allow(api, allow_private_web_sources=True)
    assert _add(api, admin, name="lan", kind="web", location="http://10.1.2.3/wiki/").status_code == 201
    _refused(_add(api, admin, name="ftp", kind="web", location="ftp://10.1.2.3/"), "not an http(s) URL")


def test_unknown_kinds_are_refused(api: Api, admin: dict[str, str]) -> None:
    _refused(_add(api, admin, kind="sharepoint", location="x"), "unknown source kind")


def test_sources_of_sourcier_toml_are_checked_the_same_way(conn: Connection[Any], settings: Settings) -> None:
    folder = settings.home.parent / f"toml-docs-{os.getpid()}"
    folder.mkdir(exist_ok=True)
    cases = [
        (SourceConfig(name="my docs", location=str(folder)), "not a valid source name"),
        (SourceConfig(name="docs", location=str(folder), read=["everyone,role:admin"]), "is not a principal"),
        (SourceConfig(name="docs", location=str(folder / "missing")), "does not exist"),
        (SourceConfig(name="docs", location=str(settings.home)), "sourcier's own data directory"),
        (SourceConfig(name="web", kind="web", location="http://127.0.0.1:9/"), "loopback"),
    ]
    for config, words in cases:
        with pytest.raises(ConfigError, match=words) as info:
            sync_declared_sources(conn, [config], settings=settings)
        assert "sourcier.toml" in info.value.message
    assert sources.list_sources(conn) == []
    allowed = settings.model_copy(update={"allow_private_web_sources": True})
    declared = [SourceConfig(name="docs", location=str(folder)), SourceConfig(name="web", kind="web",
                location="http://127.0.0.1:9/")]  # fmt: skip
    assert sync_declared_sources(conn, declared, settings=allowed) == ["docs", "web"]
    assert sources.get_source(conn, "docs").location == str(folder.resolve())



def test_the_watching_scheduler_checks_sourcier_toml_too(
    conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder
) -> None:
    declared = [SourceConfig(name="docs", location=str(settings.home))]  # sourcier's own data: never a source
    watching = Scheduler(settings=settings.model_copy(update={"sources": declared}), embedder=fake_embedder)
    stop = threading.Event()
    stop.set()
    with pytest.raises(ConfigError, match="sourcier's own data directory"):
        watching.watch(conn, stop)
    assert sources.list_sources(conn) == []

def test_a_source_whose_folder_disappeared_fails_its_run_and_keeps_its_documents(
    conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder, shared: Path
) -> None:
    folder = shared / "docs"
    sources.add_source(conn, name="docs", kind="filesystem", location=str(folder), every_s=3600, read=["everyone"])
    engine = SyncEngine(settings=settings, embedder=fake_embedder)
    assert engine.run(conn, "docs").counts["new"] == 1
    moved = folder.rename(shared / "unmounted")
    with pytest.raises(SyncError, match="nothing could be listed") as info:
        engine.run(conn, "docs")
    assert "does not exist" in str(info.value)
    last = sources.recent_runs(conn, "docs", 1)[0]
    assert last.status == "failed" and last.error is not None and "nothing could be listed" in last.error
    assert [e.reason for e in sources.run_errors(conn, last.id)] == ["the folder does not exist or is not a folder"]
    assert conn.execute("SELECT count(*) FROM documents WHERE status = 'indexed'").fetchone() == (1,)
    row = next(s for s in sources.list_sources(conn) if s.name == "docs")
    assert row.next_run_at is not None and row.last_run_status == "failed"  # retried at its next slot, not at once
    assert sources.due_sources(conn) == []
    moved.rename(folder)
    again = engine.run(conn, "docs")
    assert again.status == "succeeded" and again.counts["unchanged"] == 1 and again.deleted == []
