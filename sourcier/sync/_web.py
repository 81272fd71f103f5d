"""The website connector: one site (or one part of it) crawled politely, pages as items.

Discovery prefers what the site says it holds (sitemap.xml, sitemap index files, `Sitemap:` lines of
robots.txt); without a sitemap it follows same-site links breadth-first from the start page. robots.txt
is honoured for every request, redirect targets included, and its Crawl-delay slows us down further.

Version hints come from what the server gives cheaply: an ETag, a Last-Modified date or a sitemap
`<lastmod>`; a page with none of them gets the hash of its body, so an unknown version never looks
unchanged. Pages downloaded while listing (link discovery has to read them) are kept in a private cache
so `fetch` does not download them twice; pages not read while listing are fetched with a conditional
GET (If-None-Match / If-Modified-Since), and a 304 answer means NotModified.

Every failure of one page (a 500, a server that hangs, a body over the size limit, a redirect off the
site or in a loop) is reported against that page with a reason a person can act on; the rest goes on.

Unless the server allows private web sources, every request (robots.txt, sitemaps, pages, each redirect) is
checked twice: its host must resolve to public addresses only before it is sent, and the address the
connection actually reached must be public before its body is read. A site checked when it was added may
point somewhere else later (DNS rebinding), and a redirect may point anywhere.
"""

from __future__ import annotations

import contextlib
import email.utils
import fnmatch
import gzip
import hashlib
import io
import logging
import shutil
import tempfile
import time
import urllib.robotparser
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit
from xml.etree import ElementTree

import httpx2 as httpx
from selectolax.lexbor import LexborHTMLParser

from sourcier.errors import ConfigError
from sourcier.ingest import SUPPORTED_SUFFIXES
from sourcier.sync._connector import FetchedItem, FetchFailed, ItemRef, ListingProblem, NotModified
from sourcier.sync._validate import PRIVATE_WEB_HINT, address_problem, url_problem
from sourcier.types import PRINCIPAL_PATTERN

_log = logging.getLogger(__name__)

# Content types we can read, to the suffix that picks the loader (sourcier.ingest).
_SUFFIX_BY_TYPE: dict[str, str] = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "text/x-markdown": ".md",
    "text/csv": ".csv",
}
# Links we never download while discovering: they cannot become passages.
_SKIPPED_SUFFIXES = frozenset(
    ".png .jpg .jpeg .gif .svg .webp .ico .css .js .mjs .zip .gz .tar .tgz .mp3 .mp4 .webm .avi .mov "
    ".woff .woff2 .ttf .eot .exe .dmg .iso .json .xml .rss".split()
)
_SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_MAX_REDIRECTS = 5
_MAX_SITEMAPS = 50  # sitemap files read per listing (an index pointing to indexes is bounded too)
_ROBOTS_MAX_BYTES = 512 * 1024
_DISCOVERIES = ("auto", "sitemap", "links")


def _default_user_agent() -> str:
    try:
        return f"sourcier/{version('sourcier')}"
    except PackageNotFoundError:  # running from a tree that was never installed
        return "sourcier/0"


def normalise_url(url: str) -> str:
    """One spelling per page: lower-case scheme and host, no default port, no fragment, "/" for no path."""
    url, _ = urldefrag(url.strip())
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


@dataclass(frozen=True, slots=True)
class _Page:
    """A successful GET: the final URL (after same-site redirects), validators and the body on disk."""

    url: str
    content_type: str
    etag: str | None
    last_modified: str | None
    body: Path
    sha256: str


class _PageError(Exception):
    """One page could not be read; the message says why, for a person."""


class _Gone(_PageError):
    """The page answered 404 or 410: it no longer exists."""


def _peer_address(response: httpx.Response) -> str | None:
    """The IP address the response came from, as the socket saw it (None when the transport does not say)."""
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    return str(peer[0]) if isinstance(peer, tuple) and peer else None


class WebConnector:
    """A website as a source: pages discovered by sitemap or same-site links, read over HTTP(S).

    `read` is the access list of every page of this source (principals such as "group:staff"); when it
    is None the engine applies the source's default, which is admins only (fail closed).
    `allow_private_web` lets it reach loopback, private and link-local addresses; off by default, so a
    connector built without the server's settings reaches public addresses only.
    """

    kind = "web"

    def __init__(
        self,
        *,
        start_url: str,
        discovery: str = "auto",
        max_pages: int = 1000,
        max_depth: int = 5,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        read: Sequence[str] | None = None,
        user_agent: str | None = None,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 10.0,
        listing_budget_s: float = 600.0,
        max_bytes: int = 20 * 1024 * 1024,
        delay_s: float = 0.0,
        allow_private_web: bool = False,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        parts = urlsplit(start_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"web source: {start_url!r} is not an http(s) URL", hint="e.g. https://intranet.example/")
        if discovery not in _DISCOVERIES:
            raise ConfigError(f"web source: discovery {discovery!r} is not one of {', '.join(_DISCOVERIES)}")
        for name, value in (("max_pages", max_pages), ("max_depth", max_depth), ("max_bytes", max_bytes)):
            if value < (0 if name == "max_depth" else 1):
                raise ConfigError(f"web source: {name} must be positive, got {value}")
        for name, seconds in (("connect_timeout_s", connect_timeout_s), ("read_timeout_s", read_timeout_s),
                              ("listing_budget_s", listing_budget_s)):  # fmt: skip
            if not seconds > 0:
                raise ConfigError(f"web source: {name} must be more than 0 s, got {seconds}")
        if delay_s < 0:
            raise ConfigError(f"web source: delay_s cannot be negative, got {delay_s}")
        if read is not None:
            bad = [p for p in read if not PRINCIPAL_PATTERN.match(p)]
            if bad:
                raise ConfigError(f"web source: {bad[0]!r} is not a principal",
                                  hint="use everyone, user:NAME, group:NAME or role:admin")  # fmt: skip
        self.start_url = normalise_url(start_url)
        start = urlsplit(self.start_url)
        self._origin = f"{start.scheme}://{start.netloc}"
        self._prefix = start.path if start.path.endswith("/") else start.path.rsplit("/", 1)[0] + "/"
        self.discovery = discovery
        self.max_pages, self.max_depth, self.max_bytes = max_pages, max_depth, max_bytes
        self.include, self.exclude = tuple(include), tuple(exclude)
        self.acl: tuple[str, ...] | None = tuple(dict.fromkeys(read)) if read is not None else None
        self.user_agent = user_agent or _default_user_agent()
        self.connect_timeout_s, self.read_timeout_s = connect_timeout_s, read_timeout_s
        self.listing_budget_s, self.delay_s = listing_budget_s, delay_s
        self.allow_private_web = allow_private_web
        self._transport = transport
        self._client: httpx.Client | None = None
        self._robots: urllib.robotparser.RobotFileParser | None = None
        self._cache_dir: Path | None = None
        self._cache: dict[str, _Page] = {}
        self._last_request = 0.0

    # -- the Connector protocol ------------------------------------------------------------------------

    def list_items(self) -> Iterator[ItemRef | ListingProblem]:
        """Every page found now, start page first; a page that failed is a ListingProblem, a 404 is gone."""
        deadline = time.monotonic() + self.listing_budget_s
        refused = self._refusal(self.start_url)
        if refused is not None:  # said once, against the start URL, rather than as robots.txt failing
            yield ListingProblem(self.start_url, refused)
            return
        try:
            self._load_robots()
        except _PageError as exc:
            # Against the start URL: the engine then keeps every page under it instead of deleting them.
            yield ListingProblem(self.start_url, f"robots.txt of {self._origin} could not be read: {exc}")
            return
        if self.discovery in ("auto", "sitemap"):
            found, problems = self._sitemap_urls(deadline)
            yield from problems
            if found or self.discovery == "sitemap":
                yield from self._list_sitemap(found, deadline)
                return
        yield from self._list_links(deadline)

    def fetch(self, ref: ItemRef, *, known_version: str | None, scratch: Path) -> FetchedItem:
        """The page as a file in `scratch` whose suffix matches its content type; NotModified on a 304."""
        page = self._cache.pop(ref.uri, None)
        if page is not None:
            if known_version is not None and known_version in _versions(page):
                page.body.unlink(missing_ok=True)
                raise NotModified(ref.uri)
        else:
            try:
                allowed = self._allowed(ref.uri)
            except _PageError as exc:
                raise FetchFailed(f"robots.txt of {self._origin} could not be read: {exc}") from exc
            if not allowed:
                raise FetchFailed(f"robots.txt of {self._origin} does not allow {self.user_agent} to read {ref.uri}")
            try:
                page = self._get(ref.uri, conditional=known_version)
            except _PageError as exc:
                raise FetchFailed(str(exc)) from exc
            if page is None:
                raise NotModified(ref.uri)
        suffix = _suffix(page)
        if suffix is None:
            page.body.unlink(missing_ok=True)
            raise FetchFailed(f"content type {page.content_type or 'missing'} is not one sourcier reads")
        scratch.mkdir(parents=True, exist_ok=True)
        target = scratch / f"web-{hashlib.sha256(ref.uri.encode()).hexdigest()[:20]}{suffix}"
        shutil.move(page.body, target)
        # A sitemap <lastmod> is what the next listing compares with; otherwise the server's validators.
        new_version = ref.version if ref.version.startswith("lastmod:") else _version(page)
        return FetchedItem(ref, target, new_version, temporary=True)

    def close(self) -> None:
        """Drop the HTTP connections and the pages cached during listing that were never fetched."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cache_dir is not None:
            shutil.rmtree(self._cache_dir, ignore_errors=True)
            self._cache_dir = None
        self._cache.clear()

    def __enter__(self) -> WebConnector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- discovery -------------------------------------------------------------------------------------

    def _list_links(self, deadline: float) -> Iterator[ItemRef | ListingProblem]:
        """Breadth-first over same-site links under the start path, up to max_pages and max_depth."""
        queue: deque[tuple[str, int]] = deque([(self.start_url, 0)])
        seen = {self.start_url}
        listed: set[str] = set()  # final URLs: two links redirecting to one page list it once
        fetched = 0
        while queue:
            if time.monotonic() > deadline:
                yield ListingProblem(self.start_url, f"listing stopped after its {self.listing_budget_s:g} s budget "
                                                     f"with {len(queue)} pages not visited")  # fmt: skip
                return
            if fetched >= self.max_pages:
                yield ListingProblem(self.start_url, f"listing stopped at max_pages={self.max_pages} "
                                                     f"with {len(queue)} pages not visited")  # fmt: skip
                return
            url, depth = queue.popleft()
            if not self._allowed(url):
                continue
            fetched += 1
            try:
                page = self._get(url)
            except _Gone:
                continue
            except _PageError as exc:
                yield ListingProblem(url, str(exc))
                continue
            assert page is not None  # an unconditional GET never answers NotModified
            seen.add(page.url)
            is_html = _suffix(page) == ".html"
            if depth < self.max_depth and is_html:
                for link in _links(page):
                    if link not in seen and self._in_scope(link) and not _skipped(link):
                        seen.add(link)
                        queue.append((link, depth + 1))
            if _suffix(page) is None or not self._listed(page.url) or page.url in listed:
                page.body.unlink(missing_ok=True)
                continue
            listed.add(page.url)
            self._cache[page.url] = page
            yield self._ref(page.url, _version(page))

    def _list_sitemap(self, found: dict[str, str | None], deadline: float) -> Iterator[ItemRef | ListingProblem]:
        """Sitemap URLs in their order; those without <lastmod> are read now for a validator or a hash."""
        listed = 0
        for url, lastmod in found.items():
            if listed >= self.max_pages:
                yield ListingProblem(self.start_url, f"listing stopped at max_pages={self.max_pages}")
                return
            if not (self._in_scope(url) and self._listed(url) and self._allowed(url)):
                continue
            if lastmod:
                listed += 1
                yield self._ref(url, f"lastmod:{lastmod}", modified_at=_parse_w3c(lastmod))
                continue
            if time.monotonic() > deadline:
                yield ListingProblem(url, f"not visited: the listing's {self.listing_budget_s:g} s budget ran out")
                continue
            try:
                page = self._get(url)
            except _Gone:
                continue
            except _PageError as exc:
                yield ListingProblem(url, str(exc))
                continue
            assert page is not None
            if _suffix(page) is None:
                page.body.unlink(missing_ok=True)
                continue
            listed += 1
            self._cache[url] = page  # keyed by the listed URL, the one the engine will ask for
            yield self._ref(url, _version(page))

    def _sitemap_urls(self, deadline: float) -> tuple[dict[str, str | None], list[ListingProblem]]:
        """Page URL -> <lastmod> from robots.txt's Sitemap: lines (else /sitemap.xml), indexes followed."""
        assert self._robots is not None
        declared = self._robots.site_maps() or []
        pending = deque(normalise_url(u) for u in declared) if declared else deque([f"{self._origin}/sitemap.xml"])
        read: set[str] = set()
        found: dict[str, str | None] = {}
        problems: list[ListingProblem] = []
        while pending and len(read) < _MAX_SITEMAPS and time.monotonic() < deadline:
            url = pending.popleft()
            if url in read or not self._same_site(url):
                continue
            read.add(url)
            try:
                page = self._get(url)
            except _Gone:
                continue
            except _PageError as exc:
                if declared:  # a sitemap the site announces but cannot serve is worth telling
                    problems.append(ListingProblem(self.start_url, f"sitemap {url} could not be read: {exc}"))
                continue
            assert page is not None
            try:
                root = ElementTree.fromstring(_maybe_gunzip(page.body.read_bytes(), self.max_bytes))
            except (ElementTree.ParseError, OSError, EOFError) as exc:
                problems.append(ListingProblem(self.start_url, f"sitemap {url} is not valid XML ({exc})"))
                continue
            finally:
                page.body.unlink(missing_ok=True)
            if root.tag == f"{_SITEMAP_NS}sitemapindex":
                pending.extend(normalise_url(urljoin(url, loc)) for loc in _locs(root, "sitemap"))
            elif root.tag == f"{_SITEMAP_NS}urlset":
                for node in root.iter(f"{_SITEMAP_NS}url"):
                    loc = (node.findtext(f"{_SITEMAP_NS}loc") or "").strip()
                    if loc:
                        lastmod = (node.findtext(f"{_SITEMAP_NS}lastmod") or "").strip() or None
                        found.setdefault(normalise_url(urljoin(url, loc)), lastmod)
        return found, problems

    # -- rules -----------------------------------------------------------------------------------------

    def _ref(self, url: str, version_hint: str, *, modified_at: datetime | None = None) -> ItemRef:
        return ItemRef(uri=url, path=url, version=version_hint, modified_at=modified_at, acl=self.acl)

    def _same_site(self, url: str) -> bool:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}" == self._origin

    def _in_scope(self, url: str) -> bool:
        """Same scheme and host as the start URL, under its path, and not excluded."""
        if not self._same_site(url) or not urlsplit(url).path.startswith(self._prefix):
            return False
        return not any(fnmatch.fnmatchcase(url, pattern) for pattern in self.exclude)

    def _listed(self, url: str) -> bool:
        """Include patterns choose what becomes an item; pages outside them are still followed for links."""
        return not self.include or any(fnmatch.fnmatchcase(url, pattern) for pattern in self.include)

    def _allowed(self, url: str) -> bool:
        if self._robots is None:
            self._load_robots()
        assert self._robots is not None
        return self._robots.can_fetch(self.user_agent, url)

    def _load_robots(self) -> None:
        """robots.txt as the standard reads it: missing means all allowed, 401/403 means nothing allowed."""
        robots = urllib.robotparser.RobotFileParser(f"{self._origin}/robots.txt")
        url = f"{self._origin}/robots.txt"
        response, body = self._request(url, {}, _ROBOTS_MAX_BYTES)
        for _ in range(_MAX_REDIRECTS):  # RFC 9309: follow a few redirects (same site only, as for pages)
            target = normalise_url(urljoin(url, response.headers.get("location", "")))
            if not response.is_redirect or not self._same_site(target) or target == url:
                break
            url = target
            response, body = self._request(url, {}, _ROBOTS_MAX_BYTES)
        if response.status_code in (401, 403):
            robots.parse(["User-agent: *", "Disallow: /"])
        elif response.status_code >= 500:
            raise _PageError(f"HTTP {response.status_code} from server")
        elif response.is_success:
            lines = body.decode("utf-8", errors="replace").splitlines()
            robots.parse(lines)
            self.delay_s = max(self.delay_s, _decimal_crawl_delay(lines))
        else:
            robots.parse([])  # no rules: everything allowed
        self._robots = robots
        crawl_delay = robots.crawl_delay(self.user_agent)
        if crawl_delay is not None:
            self.delay_s = max(self.delay_s, float(crawl_delay))

    # -- addresses -------------------------------------------------------------------------------------

    def _refusal(self, url: str) -> str | None:
        """Why this URL must not be requested now (its host resolves to a non-public address), or None."""
        if self.allow_private_web:
            return None
        problem = url_problem(url)
        if problem is None or "address" not in problem:  # a name that does not resolve is not a refusal
            return problem
        return f"refused: {problem} ({PRIVATE_WEB_HINT})"

    def _check_peer(self, url: str, response: httpx.Response) -> None:
        """The address actually reached, checked before the body is read: the name may have changed since.

        A transport given by the caller may not say where it connected; the default one always does, so
        with it an unknown address is refused rather than trusted.
        """
        if self.allow_private_web:
            return
        address = _peer_address(response)
        if address is None:
            if self._transport is not None:
                return
            raise _PageError(f"refused: the address {urlsplit(url).hostname} connected to is unknown")
        problem = address_problem(address)
        if problem is not None:
            host = urlsplit(url).hostname
            raise _PageError(f"refused: the connection to {host} reached {problem} ({PRIVATE_WEB_HINT})")

    # -- HTTP ------------------------------------------------------------------------------------------

    def _http(self) -> httpx.Client:
        if self._client is None:
            timeout = httpx.Timeout(self.read_timeout_s, connect=self.connect_timeout_s)
            self._client = httpx.Client(timeout=timeout, headers={"User-Agent": self.user_agent},
                                        follow_redirects=False, trust_env=False, transport=self._transport)  # fmt: skip
        return self._client

    def _get(self, url: str, *, conditional: str | None = None) -> _Page | None:
        """GET one page following same-site redirects; None on 304, _PageError with a reason otherwise."""
        headers = _conditional_headers(conditional) if conditional else {}
        visited = [url]
        current = url
        while True:
            response, body = self._request(current, headers, self.max_bytes)
            if response.status_code == 304 and conditional:
                return None
            if response.is_redirect:
                location = response.headers.get("location", "")
                target = normalise_url(urljoin(current, location))
                refused = self._refusal(target)  # before the site rule: the reason a person must see
                if refused is not None:
                    raise _PageError(f"redirects to {target}: {refused}")
                if not self._same_site(target):
                    raise _PageError(f"redirects off the site, to {target}")
                if target in visited:
                    raise _PageError(f"redirects in a loop ({' -> '.join([*visited, target])})")
                if len(visited) > _MAX_REDIRECTS:
                    raise _PageError(f"redirects more than {_MAX_REDIRECTS} times")
                if not self._allowed(target):
                    raise _PageError(f"redirects to {target}, which robots.txt does not allow")
                visited.append(target)
                current = target
                continue
            if response.status_code in (404, 410):
                raise _Gone(f"HTTP {response.status_code}: the page no longer exists")
            if not response.is_success:
                raise _PageError(f"HTTP {response.status_code} from server")
            return self._store(current, response, body)

    def _store(self, url: str, response: httpx.Response, body: bytes) -> _Page:
        if self._cache_dir is None:
            self._cache_dir = Path(tempfile.mkdtemp(prefix="sourcier-web-"))
        path = self._cache_dir / hashlib.sha256(f"{url}\0{time.monotonic_ns()}".encode()).hexdigest()[:24]
        path.write_bytes(body)
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        return _Page(url, content_type, response.headers.get("etag"), response.headers.get("last-modified"), path,
                     hashlib.sha256(body).hexdigest())  # fmt: skip

    def _request(self, url: str, headers: dict[str, str], max_bytes: int) -> tuple[httpx.Response, bytes]:
        """One GET, polite (delay between requests), streamed and cut at max_bytes, errors as reasons."""
        wait = self._last_request + self.delay_s - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_request = time.monotonic()
        started = time.monotonic()
        # A server trickling bytes resets the read timeout on every byte; this bounds the whole page.
        page_deadline = started + self.connect_timeout_s + 3 * self.read_timeout_s
        refused = self._refusal(url)
        if refused is not None:
            raise _PageError(refused)
        try:
            with self._http().stream("GET", url, headers=headers) as response:
                self._check_peer(url, response)
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes and response.is_success:
                    raise _PageError(f"page is {_size(int(declared))}, over the {_size(max_bytes)} limit")
                chunks: list[bytes] = []
                total = 0
                if response.is_success:
                    for chunk in response.iter_bytes():
                        total += len(chunk)
                        if total > max_bytes:
                            raise _PageError(f"page is over the {_size(max_bytes)} limit (download stopped)")
                        if time.monotonic() > page_deadline:
                            raise _PageError(f"page took over {page_deadline - started:.0f} s to download")
                        chunks.append(chunk)
                return response, b"".join(chunks)
        except httpx.ConnectTimeout as exc:
            raise _PageError(f"no connection to {self._origin} within {self.connect_timeout_s:g} s") from exc
        except httpx.TimeoutException as exc:
            raise _PageError(f"no answer within {self.read_timeout_s:g} s") from exc
        except httpx.ConnectError as exc:
            raise _PageError(f"cannot connect to {self._origin} ({exc})") from exc
        except httpx.HTTPError as exc:
            raise _PageError(f"{type(exc).__name__} ({exc})") from exc


# -- helpers ---------------------------------------------------------------------------------------------


def _version(page: _Page) -> str:
    """The strongest validator the server gave: ETag, else Last-Modified, else the body's hash."""
    if page.etag:
        return f"etag:{page.etag}"
    if page.last_modified:
        return f"modified:{page.last_modified}"
    return f"sha256:{page.sha256}"


def _versions(page: _Page) -> set[str]:
    """Every hint that would name this exact page (a stored hint may come from an older validator)."""
    found = {f"sha256:{page.sha256}", _version(page)}
    if page.last_modified:
        found.add(f"modified:{page.last_modified}")
    return found


def _conditional_headers(known: str) -> dict[str, str]:
    kind, _, value = known.partition(":")
    if kind == "etag" and value:
        return {"If-None-Match": value}
    if kind == "modified" and value:
        return {"If-Modified-Since": value}
    if kind == "lastmod" and value:
        when = _parse_w3c(value)
        if when is not None:
            return {"If-Modified-Since": email.utils.format_datetime(when.astimezone(UTC), usegmt=True)}
    return {}


def _maybe_gunzip(data: bytes, max_bytes: int) -> bytes:
    """sitemap.xml.gz files, decompressed up to max_bytes (a gzip bomb stops there and fails to parse)."""
    if not data.startswith(b"\x1f\x8b"):
        return data
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
        return f.read(max_bytes)


def _decimal_crawl_delay(lines: list[str]) -> float:
    """The largest fractional Crawl-delay (urllib.robotparser reads whole seconds only); polite when unsure."""
    delays = [0.0]
    for line in lines:
        name, _, value = line.partition("#")[0].partition(":")
        if name.strip().lower() == "crawl-delay":
            with contextlib.suppress(ValueError):
                delay = float(value.strip())
                if 0 <= delay <= 60:  # NaN and absurd values ignored
                    delays.append(delay)
    return max(delays)


def _parse_w3c(value: str) -> datetime | None:
    """A sitemap <lastmod> (W3C datetime: a date, or a date and time with a zone)."""
    with contextlib.suppress(ValueError):
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    return None


def _suffix(page: _Page) -> str | None:
    """The loader suffix from the Content-Type, else from the URL when the server sends a generic type."""
    suffix = _SUFFIX_BY_TYPE.get(page.content_type)
    if suffix is None and page.content_type in ("", "application/octet-stream", "binary/octet-stream"):
        path_suffix = Path(urlsplit(page.url).path).suffix.lower()
        suffix = path_suffix if path_suffix in SUPPORTED_SUFFIXES else None
    return suffix


def _skipped(url: str) -> bool:
    return Path(urlsplit(url).path).suffix.lower() in _SKIPPED_SUFFIXES


def _links(page: _Page) -> Iterator[str]:
    """Absolute, normalised http(s) links of an HTML page (honouring <base href>), nofollow left out."""
    tree = LexborHTMLParser(page.body.read_bytes().decode("utf-8", errors="replace"))
    base = page.url
    base_node = tree.css_first("base[href]")
    if base_node is not None and base_node.attributes.get("href"):
        base = urljoin(page.url, base_node.attributes["href"] or "")
    for node in tree.css("a[href]"):
        if "nofollow" in (node.attributes.get("rel") or "").lower().split():
            continue
        href = (node.attributes.get("href") or "").strip()
        if not href or href.startswith(("mailto:", "javascript:", "tel:", "#")):
            continue
        absolute = urljoin(base, href)
        if urlsplit(absolute).scheme in ("http", "https"):
            yield normalise_url(absolute)


def _locs(root: ElementTree.Element, tag: str) -> list[str]:
    return [loc.strip() for node in root.iter(f"{_SITEMAP_NS}{tag}")
            if (loc := node.findtext(f"{_SITEMAP_NS}loc"))]  # fmt: skip


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"
