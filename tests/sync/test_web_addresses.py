"""The website connector reaches public addresses only, unless the server allows private ones: checked for
every request (redirects included) before it is sent, and on the connection actually reached before its body
is read. The test server is on 127.0.0.1; a name "resolving" to a public address is `_validate.resolve` faked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from psycopg import Connection

from sourcier.config import Settings
from sourcier.errors import SyncError
from sourcier.store import sources
from sourcier.sync import _validate, _web_http
from sourcier.sync._connector import FetchFailed, ItemRef, ListingProblem
from sourcier.sync._connectors import create_connector
from sourcier.sync._engine import SyncEngine
from sourcier.sync._web import WebConnector, WebOptions
from tests.conftest import FakeEmbedder
from tests.sync._http import Route, Site, serve

PUBLIC = "93.184.216.34"
HINT = "SOURCIER_ALLOW_PRIVATE_WEB_SOURCES"
QUICK = WebOptions(connect_timeout_s=1.0, read_timeout_s=0.5)  # public addresses only, as by default


@pytest.fixture
def site() -> Iterator[Site]:
    with serve() as s:
        s.routes["/docs/"] = Route(body=b"<html><body><p>Interne</p><a href='secret'>x</a></body></html>")
        s.routes["/docs/secret"] = Route(body=b"<html><body><p>Secret</p></body></html>")
        yield s


@pytest.fixture
def localhost_looks_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check resolves "localhost" to a public address; the connection still reaches 127.0.0.1."""
    real = _validate.resolve
    monkeypatch.setattr(_validate, "resolve", lambda host, port: [PUBLIC] if host == "localhost" else real(host, port))


def _problems(web: WebConnector) -> dict[str, str]:
    return {i.uri: i.reason for i in web.list_items() if isinstance(i, ListingProblem)}


def test_a_crawl_of_a_loopback_site_is_refused_before_any_request(site: Site, tmp_path: Any) -> None:
    start = f"{site.url}/docs/"
    with WebConnector(start_url=start, options=QUICK) as web:
        problems = _problems(web)
        ref = ItemRef(uri=f"{site.url}/docs/secret", path=f"{site.url}/docs/secret", version="sha256:x")
        with pytest.raises(FetchFailed, match=r"127\.0\.0\.1, a loopback address"):
            web.fetch(ref, known_version=None, scratch=tmp_path)
    assert list(problems) == [start]
    assert "refused: 127.0.0.1 resolves to 127.0.0.1, a loopback address" in problems[start]
    assert HINT in problems[start]
    assert site.requests == []


def test_the_engine_records_the_refusal_as_the_run_error(
    site: Site, conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder
) -> None:
    start = f"{site.url}/docs/"
    sources.add_source(conn, name="lan", kind="web", location=start, every_s=None, read=["everyone"])
    try:
        report = SyncEngine(settings=settings, embedder=fake_embedder).run(conn, "lan")
        assert report.ingested == []
    except SyncError:
        pass  # a run with nothing listed may fail as a whole: the engine's rule; the reason is recorded either way
    run = sources.recent_runs(conn, "lan", 1)[0]
    reasons = {e.uri: e.reason for e in sources.run_errors(conn, run.id)}
    assert "a loopback address" in reasons[start] and HINT in reasons[start]
    assert site.requests == []


def test_a_redirect_to_a_loopback_address_is_not_followed(
    site: Site, localhost_looks_public: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_web_http, "_peer_address", lambda response: PUBLIC)  # as if localhost were a public site
    start = f"http://localhost:{site.port}/docs/"
    site.routes["/docs/"] = Route(status=302, location=f"{site.url}/docs/secret")
    with WebConnector(start_url=start, options=QUICK) as web:
        problems = _problems(web)
    assert problems[start].startswith(f"redirects to {site.url}/docs/secret: refused: 127.0.0.1 resolves")
    assert "a loopback address" in problems[start]
    assert site.hits("/docs/") == 1 and site.hits("/docs/secret") == 0


def test_a_name_that_resolves_elsewhere_when_connecting_is_refused_unread(
    site: Site, localhost_looks_public: None
) -> None:
    """DNS rebinding: the name passed the check, the connection reached loopback; nothing it sent is read."""
    start = f"http://localhost:{site.port}/docs/"
    with WebConnector(start_url=start, options=QUICK) as web:
        problems = _problems(web)
    assert "the connection to localhost reached 127.0.0.1, a loopback address" in problems[start]
    assert site.hits("/docs/") == 0 and site.hits("/docs/secret") == 0


def test_the_servers_setting_reaches_the_connector(site: Site, settings: Settings) -> None:
    refused = create_connector("web", f"{site.url}/docs/", settings)
    lan = settings.model_copy(update={"allow_private_web_sources": True})
    allowed = create_connector("web", f"{site.url}/docs/", lan, {"allow_private_web": False})
    assert isinstance(refused, WebConnector) and isinstance(allowed, WebConnector)
    assert not refused.options.allow_private_web and allowed.options.allow_private_web  # not a per-source option
    with allowed:
        refs = [i.uri for i in allowed.list_items() if isinstance(i, ItemRef)]
    assert refs == [f"{site.url}/docs/", f"{site.url}/docs/secret"]
