"""The website connector against a real HTTP server on 127.0.0.1 (tests/sync/_http.py), no mocks."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from psycopg import Connection

from sourcier.config import Settings
from sourcier.errors import ConfigError
from sourcier.retrieve import HybridRetriever, SearchParams
from sourcier.store import sources
from sourcier.sync._connector import FetchFailed, ItemRef, ListingProblem, NotModified
from sourcier.sync._connectors import create_connector
from sourcier.sync._engine import SyncEngine
from sourcier.sync._web import WebConnector, WebOptions, normalise_url
from tests.conftest import FakeEmbedder
from tests.sync._http import Route, Site, serve

LM = "Wed, 21 Oct 2026 07:28:00 GMT"


@pytest.fixture
def site() -> Iterator[Site]:
    with serve() as s:
        yield s


def _html(*links: str, text: str = "Bonjour") -> bytes:
    anchors = "".join(f'<a href="{href}">lien</a>' for href in links)
    return f"<html><head><title>t</title></head><body><main><p>{text}</p>{anchors}</main></body></html>".encode()


def _connector(site: Site, path: str = "/docs/", **kwargs: Any) -> WebConnector:
    """The test server is on 127.0.0.1: reaching it takes the server's allow_private_web_sources."""
    options = WebOptions(**{"connect_timeout_s": 1.0, "read_timeout_s": 0.5, "allow_private_web": True, **kwargs})
    return WebConnector(start_url=site.url + path, options=options)


def _split(items: list[ItemRef | ListingProblem]) -> tuple[dict[str, ItemRef], dict[str, str]]:
    refs = {i.uri: i for i in items if isinstance(i, ItemRef)}
    problems = {p.uri: p.reason for p in items if isinstance(p, ListingProblem)}
    return refs, problems


def test_sitemap_discovery_from_robots_index_and_lastmod(site: Site) -> None:
    """robots.txt's Sitemap: line -> an index -> a urlset; lastmod is the hint, others are read for one."""
    site.routes["/robots.txt"] = Route(
        body=f"User-agent: *\nDisallow: /docs/private\nSitemap: {site.url}/sm-index.xml\n".encode(),
        content_type="text/plain",
    )
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    site.routes["/sm-index.xml"] = Route(
        body=f"<sitemapindex {ns}><sitemap><loc>{site.url}/sm1.xml</loc></sitemap></sitemapindex>".encode(),
        content_type="application/xml",
    )
    urls = [("/docs/a", "<lastmod>2026-10-01</lastmod>"), ("/docs/b", ""), ("/docs/private/x", ""),
            ("/elsewhere/c", ""), ("http://example.invalid/docs/d", "")]  # fmt: skip
    entries = "".join(
        f"<url><loc>{u if u.startswith('http') else site.url + u}</loc>{extra}</url>" for u, extra in urls
    )
    site.routes["/sm1.xml"] = Route(body=f"<urlset {ns}>{entries}</urlset>".encode(), content_type="text/xml")
    site.routes["/docs/a"] = Route(body=_html(text="A"))
    site.routes["/docs/b"] = Route(body=_html(text="B"), etag='"b1"')
    site.routes["/docs/private/x"] = Route(body=_html())
    with _connector(site, read=("group:staff",)) as web:
        refs, problems = _split(list(web.list_items()))
    assert problems == {}
    assert list(refs) == [f"{site.url}/docs/a", f"{site.url}/docs/b"]
    a, b = refs[f"{site.url}/docs/a"], refs[f"{site.url}/docs/b"]
    assert a.version == "lastmod:2026-10-01" and a.modified_at is not None and a.modified_at.year == 2026
    assert b.version == 'etag:"b1"' and b.path == b.uri
    assert a.acl == b.acl == ("group:staff",)
    assert site.hits("/docs/a") == 0  # lastmod was enough: nothing read
    assert site.hits("/docs/private/x") == 0  # robots.txt disallows it: never fetched
    assert site.hits("/docs/") == 0  # with a sitemap, no link crawling


def test_robots_redirect_followed_and_gzipped_sitemap_read(site: Site) -> None:
    site.routes["/robots.txt"] = Route(status=301, location="/robots-real.txt")
    site.routes["/robots-real.txt"] = Route(
        body=f"User-agent: *\nDisallow: /docs/no\nSitemap: {site.url}/sm.xml.gz\n".encode(), content_type="text/plain"
    )
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    urlset = "".join(f"<url><loc>{site.url}/docs/{p}</loc><lastmod>2026-10-01</lastmod></url>" for p in ("yes", "no"))
    site.routes["/sm.xml.gz"] = Route(body=gzip.compress(f"<urlset {ns}>{urlset}</urlset>".encode()),
                                      content_type="application/gzip")  # fmt: skip
    with _connector(site) as web:
        refs, problems = _split(list(web.list_items()))
    assert problems == {} and list(refs) == [f"{site.url}/docs/yes"]


def test_link_discovery_same_site_under_prefix_and_cached_for_fetch(site: Site, tmp_path: Path) -> None:
    """Breadth-first over same-site links under the start path; off-site and out-of-prefix links ignored."""
    site.routes["/docs/"] = Route(body=_html("a.html", "/docs/sub/b#part", "/other/x", "http://example.invalid/docs/",
                                             "img.png", "mailto:a@b.c", "/docs/gone"))  # fmt: skip
    site.routes["/docs/a.html"] = Route(body=_html("/docs/", "sub/deep"), last_modified=LM)
    site.routes["/docs/sub/b"] = Route(body=b"plain text", content_type="text/plain")
    site.routes["/docs/sub/deep"] = Route(body=_html(text="too deep"))
    site.routes["/other/x"] = Route(body=_html())
    site.routes["/docs/img.png"] = Route(body=b"\x89PNG", content_type="image/png")
    with _connector(site, max_depth=1) as web:
        refs, problems = _split(list(web.list_items()))
        assert problems == {}
        assert list(refs) == [f"{site.url}/docs/", f"{site.url}/docs/a.html", f"{site.url}/docs/sub/b"]
        assert refs[f"{site.url}/docs/a.html"].version == f"modified:{LM}"
        assert refs[f"{site.url}/docs/"].version.startswith("sha256:")
        assert refs[f"{site.url}/docs/"].acl is None  # no `read`: the source's default (admins only) applies
        assert site.hits("/other/x") == site.hits("/docs/img.png") == site.hits("/docs/sub/deep") == 0
        fetched = web.fetch(refs[f"{site.url}/docs/sub/b"], known_version=None, scratch=tmp_path)
        page = web.fetch(refs[f"{site.url}/docs/a.html"], known_version="modified:an older date", scratch=tmp_path)
    assert fetched.local_path.suffix == ".txt" and fetched.local_path.read_bytes() == b"plain text"
    assert fetched.temporary and fetched.local_path.parent == tmp_path
    assert page.local_path.suffix == ".html" and page.version == f"modified:{LM}"
    assert site.hits("/docs/a.html") == 1 and site.hits("/docs/sub/b") == 1  # listing's download reused


def test_robots_disallow_is_never_fetched_and_crawl_delay_applies(site: Site, tmp_path: Path) -> None:
    site.routes["/robots.txt"] = Route(
        body=b"User-agent: *\nDisallow: /docs/secret\nCrawl-delay: 0.2\n", content_type="text/plain"
    )
    site.routes["/docs/"] = Route(body=_html("secret/plan", "ok"))
    site.routes["/docs/secret/plan"] = Route(body=_html(text="plan"))
    site.routes["/docs/ok"] = Route(body=_html())
    with _connector(site, discovery="links") as web:
        started = time.monotonic()
        refs, _ = _split(list(web.list_items()))
        elapsed = time.monotonic() - started
        assert web.delay_s == pytest.approx(0.2)
        with pytest.raises(FetchFailed, match=r"robots\.txt"):
            web.fetch(ItemRef(f"{site.url}/docs/secret/plan", "", "x"), known_version=None, scratch=tmp_path)
    assert sorted(refs) == [f"{site.url}/docs/", f"{site.url}/docs/ok"]
    assert site.hits("/docs/secret/plan") == 0
    assert elapsed >= 0.35  # robots + 2 pages, 0.2 s apart


def test_etag_conditional_get_gives_not_modified(site: Site, tmp_path: Path) -> None:
    site.routes["/docs/p"] = Route(body=_html(text="v1"), etag='"v1"')
    ref = ItemRef(f"{site.url}/docs/p", f"{site.url}/docs/p", 'etag:"v1"')
    with _connector(site) as web:
        with pytest.raises(NotModified):
            web.fetch(ref, known_version='etag:"v1"', scratch=tmp_path)
        assert site.requests[-1][1].get("if-none-match") == '"v1"'
        site.routes["/docs/p"] = Route(body=_html(text="v2"), etag='"v2"')
        item = web.fetch(ref, known_version='etag:"v1"', scratch=tmp_path)
    assert item.version == 'etag:"v2"' and b"v2" in item.local_path.read_bytes()


def test_last_modified_and_sitemap_lastmod_conditional_get(site: Site, tmp_path: Path) -> None:
    site.routes["/docs/p"] = Route(body=_html(), last_modified=LM)
    with _connector(site) as web:
        with pytest.raises(NotModified):
            web.fetch(ItemRef(f"{site.url}/docs/p", "", "v"), known_version=f"modified:{LM}", scratch=tmp_path)
        assert site.requests[-1][1].get("if-modified-since") == LM
        lastmod = "lastmod:2026-10-22T10:00:00+00:00"  # after LM: not modified since
        with pytest.raises(NotModified):
            web.fetch(ItemRef(f"{site.url}/docs/p", "", lastmod), known_version=lastmod, scratch=tmp_path)
        assert site.requests[-1][1].get("if-modified-since") == "Thu, 22 Oct 2026 10:00:00 GMT"
        older = "lastmod:2026-10-20"
        item = web.fetch(ItemRef(f"{site.url}/docs/p", "", "lastmod:2026-10-21"), known_version=older,
                         scratch=tmp_path)  # fmt: skip
    assert item.version == "lastmod:2026-10-21"  # what the next listing will compare with


def test_server_error_and_hanging_page_are_problems_and_the_rest_goes_on(site: Site, tmp_path: Path) -> None:
    site.routes["/docs/"] = Route(body=_html("boom", "hang", "fine"))
    site.routes["/docs/boom"] = Route(body=b"oops", status=500, content_type="text/plain")
    site.routes["/docs/hang"] = Route(hang=True)
    site.routes["/docs/fine"] = Route(body=_html())
    started = time.monotonic()
    with _connector(site) as web:
        refs, problems = _split(list(web.list_items()))
        with pytest.raises(FetchFailed, match="HTTP 500 from server"):
            web.fetch(ItemRef(f"{site.url}/docs/boom", "", "v"), known_version=None, scratch=tmp_path)
    assert time.monotonic() - started < 3
    assert sorted(refs) == [f"{site.url}/docs/", f"{site.url}/docs/fine"]
    assert problems[f"{site.url}/docs/boom"].startswith("HTTP 500 from server")
    assert "no answer" in problems[f"{site.url}/docs/hang"] and "within 0.5 s" in problems[f"{site.url}/docs/hang"]


def test_too_large_pages_are_refused_with_or_without_content_length(site: Site, tmp_path: Path) -> None:
    site.routes["/docs/"] = Route(body=_html("big", "stream"))
    site.routes["/docs/big"] = Route(body=b"x" * 50_000, content_type="text/plain")
    site.routes["/docs/stream"] = Route(body=b"y" * 50_000, content_type="text/plain", no_length=True)
    with _connector(site, max_bytes=10_000) as web:
        refs, problems = _split(list(web.list_items()))
        with pytest.raises(FetchFailed, match="over the 10 KB limit"):
            web.fetch(ItemRef(f"{site.url}/docs/stream", "", "v"), known_version=None, scratch=tmp_path)
    assert list(refs) == [f"{site.url}/docs/"]
    assert "is 49 KB, over the 10 KB limit" in problems[f"{site.url}/docs/big"]
    assert "download stopped" in problems[f"{site.url}/docs/stream"]
    assert list(tmp_path.iterdir()) == []


def test_redirects_followed_only_within_the_site_and_loops_stopped(site: Site) -> None:
    site.routes["/docs/"] = Route(body=_html("old", "loop1", "away", "old2", "new"))
    site.routes["/docs/old"] = Route(status=301, location="/docs/new")
    site.routes["/docs/old2"] = Route(status=308, location="new")
    site.routes["/docs/new"] = Route(body=_html())
    site.routes["/docs/loop1"] = Route(status=302, location="loop2")
    site.routes["/docs/loop2"] = Route(status=302, location=f"{site.url}/docs/loop1")
    site.routes["/docs/away"] = Route(status=302, location="http://example.invalid/")
    with _connector(site) as web:
        items = list(web.list_items())
    _, problems = _split(items)
    assert [i.uri for i in items if isinstance(i, ItemRef)] == [f"{site.url}/docs/", f"{site.url}/docs/new"]
    assert "redirects in a loop" in problems[f"{site.url}/docs/loop1"]
    assert "redirects off the site" in problems[f"{site.url}/docs/away"]
    assert site.hits("/docs/loop1") == 1 and site.hits("/docs/loop2") == 1


def test_listing_budget_and_max_pages_stop_the_crawl_with_a_problem(site: Site) -> None:
    site.routes["/docs/"] = Route(body=_html(*(f"p{i}" for i in range(10))))
    for i in range(10):
        site.routes[f"/docs/p{i}"] = Route(body=_html())
    with _connector(site, max_pages=4) as web:
        refs, problems = _split(list(web.list_items()))
    assert len(refs) == 4 and "max_pages=4" in problems[f"{site.url}/docs/"]
    site.routes["/docs/p0"] = Route(hang=True)
    with _connector(site, listing_budget_s=0.3) as web:
        refs, problems = _split(list(web.list_items()))
    assert list(refs) == [f"{site.url}/docs/"]  # the hanging page used up the budget
    assert "0.3 s budget with 9 pages not visited" in problems[f"{site.url}/docs/"]


def test_configuration_is_validated_without_io() -> None:
    web = WebConnector(start_url="HTTPS://Intranet.Example:443/docs/index.html#top",
                       options=WebOptions(read=("group:staff", "group:staff")))  # fmt: skip
    assert web.start_url == "https://intranet.example/docs/index.html" and web.acl == ("group:staff",)
    assert web.user_agent.startswith("sourcier/")
    assert normalise_url("http://h:80") == "http://h/"
    with pytest.raises(ConfigError, match="not an http"):
        WebConnector(start_url="ftp://x/")
    bad_options: list[dict[str, Any]] = [{"read": ("staff",)}, {"discovery": "crawl"}, {"max_pages": 0},
                                         {"max_depth": -1}, {"read_timeout_s": 0}, {"delay_s": -1}]  # fmt: skip
    for bad in bad_options:
        with pytest.raises(ConfigError):
            WebOptions(**bad)


def test_web_source_end_to_end_sync_acl_change_and_delete(
    site: Site, conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder
) -> None:
    """A web source synced by the engine: searchable by its readers only; an edit redoes one page; a 404 leaves."""
    site.routes["/docs/"] = Route(body=_html("alpha", "beta", "gamma", text="Sommaire"), etag='"index1"')
    texts = {"alpha": "Le projet Albatros démarre en mars.", "beta": "La cantine ferme le vendredi.",
             "gamma": "Le parking Zéphyr est réservé aux visiteurs."}  # fmt: skip
    for name, text in texts.items():
        site.routes[f"/docs/{name}"] = Route(body=_html(text=text), etag=f'"{name}1"')
    sources.add_source(conn, name="intranet", kind="web", location=site.url + "/docs/", every_s=3600,
                       read=["group:staff"], settings={"delay_s": 0})  # fmt: skip
    settings = settings.model_copy(update={"allow_private_web_sources": True})  # the test site is on 127.0.0.1
    engine = SyncEngine(settings=settings, embedder=fake_embedder)
    staff, outsider = ["everyone", "user:bob", "group:staff"], ["everyone", "user:eve"]

    def search(who: list[str], q: str) -> list[str]:
        retriever = HybridRetriever(embedder=fake_embedder, params=SearchParams(k=5, candidates=20))
        return [h.path for h in retriever.run(conn, q, principals=who).hits]

    first = engine.run(conn, "intranet")
    assert sorted(first.ingested) == sorted(f"{site.url}/docs/{p}" for p in ("", "alpha", "beta", "gamma"))
    assert first.failed == []
    assert f"{site.url}/docs/alpha" in search(staff, "projet Albatros")
    assert search(outsider, "projet Albatros") == [] and search(outsider, "cantine vendredi") == []

    site.routes["/docs/beta"] = Route(body=_html(text="La cantine ferme le jeudi désormais."), etag='"beta2"')
    second = engine.run(conn, "intranet")
    assert second.ingested == [f"{site.url}/docs/beta"]
    assert second.unread == 3 and second.deleted == []
    assert site.hits("/docs/beta") == 2  # listing's download was reused by fetch: once per run

    del site.routes["/docs/gamma"]
    site.routes["/docs/"] = Route(body=_html("alpha", "beta", text="Sommaire"), etag='"index2"')
    third = engine.run(conn, "intranet")
    assert len(third.deleted) == 1 and third.deleted[0].endswith("/docs/gamma")
    assert f"{site.url}/docs/gamma" not in search(staff, "parking Zéphyr visiteurs")
    assert f"{site.url}/docs/alpha" in search(staff, "projet Albatros")


def test_source_settings_reach_the_connector(settings: Settings) -> None:
    web = create_connector("web", "https://intranet.example/", settings,
                           {"read_timeout_s": 2.5, "max_pages": 3, "read": ["group:staff"], "unknown": 1,
                            "exclude": ["*/private/*"]})  # fmt: skip
    assert isinstance(web, WebConnector)
    assert web.options.exclude == ("*/private/*",) and web.options.read == ("group:staff",)
    assert (web.options.read_timeout_s, web.options.max_pages, web.acl) == (2.5, 3, ("group:staff",))
    assert web.options.max_bytes == settings.max_file_bytes
