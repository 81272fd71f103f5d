"""HTTP to one website, the way a polite crawler must and a server that fetches admins' URLs may.

Polite: robots.txt is honoured for every request, redirect targets included, and its Crawl-delay slows us
down further. Bounded: a body over the size limit, a server that hangs or trickles, a redirect off the site
or in a loop each fail that one page with a reason a person can act on.

Unless the server allows private web sources, every request (robots.txt, sitemaps, pages, each redirect) is
checked twice: its host must resolve to public addresses only before it is sent, and the address the
connection actually reached must be public before its body is read. A site checked when it was added may
point somewhere else later (DNS rebinding), and a redirect may point anywhere.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
import time
import urllib.robotparser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx2 as httpx

from sourcier.sync._validate import PRIVATE_WEB_HINT, address_problem, url_problem
from sourcier.sync._web_options import WebOptions
from sourcier.sync._web_pages import Gone, Page, PageError, conditional_headers, normalise_url

MAX_REDIRECTS = 5
_ROBOTS_MAX_BYTES = 512 * 1024


def _peer_address(response: httpx.Response) -> str | None:
    """The IP address the response came from, as the socket saw it (None when the transport does not say)."""
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    return str(peer[0]) if isinstance(peer, tuple) and peer else None


class SiteClient:
    """GETs on one site (scheme, host and port of `origin`), each page's body kept in a private folder.

    `delay_s` is the pause between requests now in force: the options' own, raised by robots.txt's
    Crawl-delay once it is read. The HTTP connections and the folder of bodies go at `close`; a later
    request opens them again.
    """

    def __init__(
        self, origin: str, options: WebOptions, *, user_agent: str, transport: httpx.BaseTransport | None
    ) -> None:
        self.origin = origin
        self.user_agent = user_agent
        self.delay_s = options.delay_s
        self._options = options
        self._transport = transport
        self._client: httpx.Client | None = None
        self._robots: urllib.robotparser.RobotFileParser | None = None
        self._bodies: Path | None = None
        self._last_request = 0.0

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._bodies is not None:
            shutil.rmtree(self._bodies, ignore_errors=True)
            self._bodies = None

    # -- rules -----------------------------------------------------------------------------------------

    def same_site(self, url: str) -> bool:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}" == self.origin

    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets us read this URL (read on first use; PageError when it cannot be)."""
        if self._robots is None:
            self.load_robots()
        assert self._robots is not None
        return self._robots.can_fetch(self.user_agent, url)

    def declared_sitemaps(self) -> list[str]:
        """The `Sitemap:` lines of robots.txt, which must have been read."""
        assert self._robots is not None
        return self._robots.site_maps() or []

    def load_robots(self) -> None:
        """robots.txt as the standard reads it: missing means all allowed, 401/403 means nothing allowed."""
        robots = urllib.robotparser.RobotFileParser(f"{self.origin}/robots.txt")
        url = f"{self.origin}/robots.txt"
        response, body = self._request(url, {}, _ROBOTS_MAX_BYTES)
        for _ in range(MAX_REDIRECTS):  # RFC 9309: follow a few redirects (same site only, as for pages)
            target = normalise_url(urljoin(url, response.headers.get("location", "")))
            if not response.is_redirect or not self.same_site(target) or target == url:
                break
            url = target
            response, body = self._request(url, {}, _ROBOTS_MAX_BYTES)
        if response.status_code in (401, 403):
            robots.parse(["User-agent: *", "Disallow: /"])
        elif response.status_code >= 500:
            raise PageError(f"HTTP {response.status_code} from server")
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

    def refusal(self, url: str) -> str | None:
        """Why this URL must not be requested now (its host resolves to a non-public address), or None."""
        if self._options.allow_private_web:
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
        if self._options.allow_private_web:
            return
        address = _peer_address(response)
        if address is None:
            if self._transport is not None:
                return
            raise PageError(f"refused: the address {urlsplit(url).hostname} connected to is unknown")
        problem = address_problem(address)
        if problem is not None:
            host = urlsplit(url).hostname
            raise PageError(f"refused: the connection to {host} reached {problem} ({PRIVATE_WEB_HINT})")

    # -- requests --------------------------------------------------------------------------------------

    def get(self, url: str, *, conditional: str | None = None) -> Page | None:
        """GET one page following same-site redirects; None on 304, PageError with a reason otherwise."""
        headers = conditional_headers(conditional) if conditional else {}
        visited = [url]
        current = url
        while True:
            response, body = self._request(current, headers, self._options.max_bytes)
            if response.status_code == 304 and conditional:
                return None
            if response.is_redirect:
                location = response.headers.get("location", "")
                target = normalise_url(urljoin(current, location))
                refused = self.refusal(target)  # before the site rule: the reason a person must see
                if refused is not None:
                    raise PageError(f"redirects to {target}: {refused}")
                if not self.same_site(target):
                    raise PageError(f"redirects off the site, to {target}")
                if target in visited:
                    raise PageError(f"redirects in a loop ({' -> '.join([*visited, target])})")
                if len(visited) > MAX_REDIRECTS:
                    raise PageError(f"redirects more than {MAX_REDIRECTS} times")
                if not self.allowed(target):
                    raise PageError(f"redirects to {target}, which robots.txt does not allow")
                visited.append(target)
                current = target
                continue
            if response.status_code in (404, 410):
                raise Gone(f"HTTP {response.status_code}: the page no longer exists")
            if not response.is_success:
                raise PageError(f"HTTP {response.status_code} from server")
            return self._keep(current, response, body)

    def _http(self) -> httpx.Client:
        if self._client is None:
            timeout = httpx.Timeout(self._options.read_timeout_s, connect=self._options.connect_timeout_s)
            self._client = httpx.Client(timeout=timeout, headers={"User-Agent": self.user_agent},
                                        follow_redirects=False, trust_env=False, transport=self._transport)  # fmt: skip
        return self._client

    def _keep(self, url: str, response: httpx.Response, body: bytes) -> Page:
        """The page, its body written to the private folder (the caller moves or deletes it)."""
        if self._bodies is None:
            self._bodies = Path(tempfile.mkdtemp(prefix="sourcier-web-"))
        path = self._bodies / hashlib.sha256(f"{url}\0{time.monotonic_ns()}".encode()).hexdigest()[:24]
        path.write_bytes(body)
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        return Page(url, content_type, response.headers.get("etag"), response.headers.get("last-modified"), path,
                    hashlib.sha256(body).hexdigest())  # fmt: skip

    def _request(self, url: str, headers: dict[str, str], max_bytes: int) -> tuple[httpx.Response, bytes]:
        """One GET, polite (delay between requests), streamed and cut at max_bytes, errors as reasons."""
        connect_s, read_s = self._options.connect_timeout_s, self._options.read_timeout_s
        wait = self._last_request + self.delay_s - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_request = time.monotonic()
        started = time.monotonic()
        # A server trickling bytes resets the read timeout on every byte; this bounds the whole page.
        page_deadline = started + connect_s + 3 * read_s
        refused = self.refusal(url)
        if refused is not None:
            raise PageError(refused)
        try:
            with self._http().stream("GET", url, headers=headers) as response:
                self._check_peer(url, response)
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes and response.is_success:
                    raise PageError(f"page is {_size(int(declared))}, over the {_size(max_bytes)} limit")
                chunks: list[bytes] = []
                total = 0
                if response.is_success:
                    for chunk in response.iter_bytes():
                        total += len(chunk)
                        if total > max_bytes:
                            raise PageError(f"page is over the {_size(max_bytes)} limit (download stopped)")
                        if time.monotonic() > page_deadline:
                            raise PageError(f"page took over {page_deadline - started:.0f} s to download")
                        chunks.append(chunk)
                return response, b"".join(chunks)
        except httpx.ConnectTimeout as exc:
            raise PageError(f"no connection to {self.origin} within {connect_s:g} s") from exc
        except httpx.TimeoutException as exc:
            raise PageError(f"no answer within {read_s:g} s") from exc
        except httpx.ConnectError as exc:
            raise PageError(f"cannot connect to {self.origin} ({exc})") from exc
        except httpx.HTTPError as exc:
            raise PageError(f"{type(exc).__name__} ({exc})") from exc


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


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"
