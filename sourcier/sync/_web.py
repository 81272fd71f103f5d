"""The website connector: one site (or one part of it) crawled politely, pages as items.

Discovery prefers what the site says it holds (sitemap.xml, sitemap index files, `Sitemap:` lines of
robots.txt: `_web_sitemap`); without a sitemap it follows same-site links breadth-first from the start page.
How each request is made, bounded and checked (robots.txt, redirects, size, timeouts, addresses) is
`_web_http`'s; version hints and links are `_web_pages`'.

Pages downloaded while listing (link discovery has to read them) are kept in a private cache so `fetch`
does not download them twice; pages not read while listing are fetched with a conditional GET
(If-None-Match / If-Modified-Since), and a 304 answer means NotModified.

Every failure of one page (a 500, a server that hangs, a body over the size limit, a redirect off the
site or in a loop) is reported against that page with a reason a person can act on; the rest goes on.
"""

from __future__ import annotations

import fnmatch
import hashlib
import shutil
import time
from collections import deque
from collections.abc import Generator, Iterator
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import urlsplit

import httpx2 as httpx

from sourcier.errors import ConfigError
from sourcier.sync._connector import FetchedItem, FetchFailed, ItemRef, ListingProblem, NotModified
from sourcier.sync._web_http import SiteClient
from sourcier.sync._web_options import WebOptions
from sourcier.sync._web_pages import (
    Gone,
    Page,
    PageError,
    links_in,
    loader_suffix,
    normalise_url,
    page_version,
    page_versions,
    parse_w3c,
    skipped_link,
)
from sourcier.sync._web_sitemap import read_sitemaps

__all__ = ["WebConnector", "WebOptions", "normalise_url"]


def _default_user_agent() -> str:
    try:
        return f"sourcier/{version('sourcier')}"
    except PackageNotFoundError:  # running from a tree that was never installed
        return "sourcier/0"


class WebConnector:
    """A website as a source: pages discovered by sitemap or same-site links, read over HTTP(S).

    `options.read` is the access list of every page of this source; when it is None the engine applies the
    source's default, which is admins only (fail closed). `options.allow_private_web` is off by default, so a
    connector built without the server's settings reaches public addresses only. `transport` replaces the
    HTTP transport (tests, proxies).
    """

    kind = "web"

    def __init__(
        self, *, start_url: str, options: WebOptions | None = None, transport: httpx.BaseTransport | None = None
    ) -> None:
        parts = urlsplit(start_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"web source: {start_url!r} is not an http(s) URL", hint="e.g. https://intranet.example/")
        self.options = options or WebOptions()
        self.start_url = normalise_url(start_url)
        start = urlsplit(self.start_url)
        self._prefix = start.path if start.path.endswith("/") else start.path.rsplit("/", 1)[0] + "/"
        read = self.options.read
        self.acl: tuple[str, ...] | None = tuple(dict.fromkeys(read)) if read is not None else None
        self.user_agent = self.options.user_agent or _default_user_agent()
        self._site = SiteClient(f"{start.scheme}://{start.netloc}", self.options, user_agent=self.user_agent,
                                transport=transport)  # fmt: skip
        self._cache: dict[str, Page] = {}

    @property
    def delay_s(self) -> float:
        """The pause between requests now in force (robots.txt's Crawl-delay may have raised the options')."""
        return self._site.delay_s

    # -- the Connector protocol ------------------------------------------------------------------------

    def list_items(self) -> Iterator[ItemRef | ListingProblem]:
        """Every page found now, start page first; a page that failed is a ListingProblem, a 404 is gone."""
        deadline = time.monotonic() + self.options.listing_budget_s
        refused = self._site.refusal(self.start_url)
        if refused is not None:  # said once, against the start URL, rather than as robots.txt failing
            yield ListingProblem(self.start_url, refused)
            return
        try:
            self._site.load_robots()
        except PageError as exc:
            # Against the start URL: the engine then keeps every page under it instead of deleting them.
            yield ListingProblem(self.start_url, f"robots.txt of {self._site.origin} could not be read: {exc}")
            return
        if self.options.discovery in ("auto", "sitemap"):
            sitemaps = read_sitemaps(self._site, start_url=self.start_url, deadline=deadline,
                                     max_bytes=self.options.max_bytes)  # fmt: skip
            yield from sitemaps.problems
            if sitemaps.pages or self.options.discovery == "sitemap":
                yield from self._list_sitemap(sitemaps.pages, deadline)
                return
        yield from self._list_links(deadline)

    def fetch(self, ref: ItemRef, *, known_version: str | None, scratch: Path) -> FetchedItem:
        """The page as a file in `scratch` whose suffix matches its content type; NotModified on a 304."""
        page = self._cache.pop(ref.uri, None)
        if page is not None:
            if known_version is not None and known_version in page_versions(page):
                page.body.unlink(missing_ok=True)
                raise NotModified(ref.uri)
        else:
            page = self._download(ref, known_version)
        suffix = loader_suffix(page)
        if suffix is None:
            page.body.unlink(missing_ok=True)
            raise FetchFailed(f"content type {page.content_type or 'missing'} is not one sourcier reads")
        scratch.mkdir(parents=True, exist_ok=True)
        target = scratch / f"web-{hashlib.sha256(ref.uri.encode()).hexdigest()[:20]}{suffix}"
        shutil.move(page.body, target)
        # A sitemap <lastmod> is what the next listing compares with; otherwise the server's validators.
        new_version = ref.version if ref.version.startswith("lastmod:") else page_version(page)
        return FetchedItem(ref, target, new_version, temporary=True)

    def close(self) -> None:
        """Drop the HTTP connections and the pages cached during listing that were never fetched."""
        self._site.close()
        self._cache.clear()

    def __enter__(self) -> WebConnector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- discovery -------------------------------------------------------------------------------------

    def _list_links(self, deadline: float) -> Iterator[ItemRef | ListingProblem]:
        """Breadth-first over same-site links under the start path, up to max_pages and max_depth."""
        max_pages, max_depth = self.options.max_pages, self.options.max_depth
        queue: deque[tuple[str, int]] = deque([(self.start_url, 0)])
        seen = {self.start_url}
        listed: set[str] = set()  # final URLs: two links redirecting to one page list it once
        fetched = 0
        while queue:
            if time.monotonic() > deadline:
                yield ListingProblem(self.start_url, f"listing stopped after its {self.options.listing_budget_s:g} s "
                                                     f"budget with {len(queue)} pages not visited")  # fmt: skip
                return
            if fetched >= max_pages:
                yield ListingProblem(self.start_url, f"listing stopped at max_pages={max_pages} "
                                                     f"with {len(queue)} pages not visited")  # fmt: skip
                return
            url, depth = queue.popleft()
            if not self._site.allowed(url):
                continue
            fetched += 1
            page = yield from self._read_listed(url)
            if page is None:
                continue
            seen.add(page.url)
            is_html = loader_suffix(page) == ".html"
            if depth < max_depth and is_html:
                for link in links_in(page):
                    if link not in seen and self._in_scope(link) and not skipped_link(link):
                        seen.add(link)
                        queue.append((link, depth + 1))
            if loader_suffix(page) is None or not self._listed(page.url) or page.url in listed:
                page.body.unlink(missing_ok=True)
                continue
            listed.add(page.url)
            self._cache[page.url] = page
            yield self._ref(page.url, page_version(page))

    def _list_sitemap(self, found: dict[str, str | None], deadline: float) -> Iterator[ItemRef | ListingProblem]:
        """Sitemap URLs in their order; those without <lastmod> are read now for a validator or a hash."""
        listed = 0
        for url, lastmod in found.items():
            if listed >= self.options.max_pages:
                yield ListingProblem(self.start_url, f"listing stopped at max_pages={self.options.max_pages}")
                return
            if not (self._in_scope(url) and self._listed(url) and self._site.allowed(url)):
                continue
            if lastmod:
                listed += 1
                yield self._ref(url, f"lastmod:{lastmod}", modified_at=parse_w3c(lastmod))
                continue
            if time.monotonic() > deadline:
                budget = self.options.listing_budget_s
                yield ListingProblem(url, f"not visited: the listing's {budget:g} s budget ran out")
                continue
            page = yield from self._read_listed(url)
            if page is None:
                continue
            if loader_suffix(page) is None:
                page.body.unlink(missing_ok=True)
                continue
            listed += 1
            self._cache[url] = page  # keyed by the listed URL, the one the engine will ask for
            yield self._ref(url, page_version(page))

    def _read_listed(self, url: str) -> Generator[ListingProblem, None, Page | None]:
        """A page read while listing; None, after yielding the problem to report, when it could not be read
        (and quietly for a page that is gone)."""
        try:
            page = self._site.get(url)
        except Gone:
            return None
        except PageError as exc:
            yield ListingProblem(url, str(exc))
            return None
        assert page is not None  # an unconditional GET never answers NotModified
        return page

    # -- rules -----------------------------------------------------------------------------------------

    def _download(self, ref: ItemRef, known_version: str | None) -> Page:
        """A page not read while listing: a conditional GET when a version is known, if robots.txt allows it."""
        try:
            allowed = self._site.allowed(ref.uri)
        except PageError as exc:
            raise FetchFailed(f"robots.txt of {self._site.origin} could not be read: {exc}") from exc
        if not allowed:
            raise FetchFailed(f"robots.txt of {self._site.origin} does not allow {self.user_agent} to read {ref.uri}")
        try:
            page = self._site.get(ref.uri, conditional=known_version)
        except PageError as exc:
            raise FetchFailed(str(exc)) from exc
        if page is None:
            raise NotModified(ref.uri)
        return page

    def _ref(self, url: str, version_hint: str, *, modified_at: datetime | None = None) -> ItemRef:
        return ItemRef(uri=url, path=url, version=version_hint, modified_at=modified_at, acl=self.acl)

    def _in_scope(self, url: str) -> bool:
        """Same scheme and host as the start URL, under its path, and not excluded."""
        if not self._site.same_site(url) or not urlsplit(url).path.startswith(self._prefix):
            return False
        return not any(fnmatch.fnmatchcase(url, pattern) for pattern in self.options.exclude)

    def _listed(self, url: str) -> bool:
        """Include patterns choose what becomes an item; pages outside them are still followed for links."""
        return not self.options.include or any(fnmatch.fnmatchcase(url, pattern) for pattern in self.options.include)
