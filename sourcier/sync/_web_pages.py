"""Pages of a website as the crawler sees them: one spelling per URL, validators as version hints, the loader
a content type picks, and the links an HTML page holds.

Version hints come from what the server gives cheaply: an ETag, a Last-Modified date or a sitemap
`<lastmod>`; a page with none of them gets the hash of its body, so an unknown version never looks unchanged.
"""

from __future__ import annotations

import contextlib
import email.utils
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser

from sourcier.ingest import SUPPORTED_SUFFIXES

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
_GENERIC_TYPES = ("", "application/octet-stream", "binary/octet-stream")
# Links we never download while discovering: they cannot become passages.
_SKIPPED_SUFFIXES = frozenset(
    ".png .jpg .jpeg .gif .svg .webp .ico .css .js .mjs .zip .gz .tar .tgz .mp3 .mp4 .webm .avi .mov "
    ".woff .woff2 .ttf .eot .exe .dmg .iso .json .xml .rss".split()
)


def normalise_url(url: str) -> str:
    """One spelling per page: lower-case scheme and host, no default port, no fragment, "/" for no path."""
    url, _ = urldefrag(url.strip())
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


@dataclass(frozen=True, slots=True)
class Page:
    """A successful GET: the final URL (after same-site redirects), validators and the body on disk."""

    url: str
    content_type: str
    etag: str | None
    last_modified: str | None
    body: Path
    sha256: str


class PageError(Exception):
    """One page could not be read; the message says why, for a person."""


class Gone(PageError):
    """The page answered 404 or 410: it no longer exists."""


def page_version(page: Page) -> str:
    """The strongest validator the server gave: ETag, else Last-Modified, else the body's hash."""
    if page.etag:
        return f"etag:{page.etag}"
    if page.last_modified:
        return f"modified:{page.last_modified}"
    return f"sha256:{page.sha256}"


def page_versions(page: Page) -> set[str]:
    """Every hint that would name this exact page (a stored hint may come from an older validator)."""
    found = {f"sha256:{page.sha256}", page_version(page)}
    if page.last_modified:
        found.add(f"modified:{page.last_modified}")
    return found


def conditional_headers(known: str) -> dict[str, str]:
    """The headers of a conditional GET for a stored version hint; none for a hint that is a body's hash."""
    kind, _, value = known.partition(":")
    if kind == "etag" and value:
        return {"If-None-Match": value}
    if kind == "modified" and value:
        return {"If-Modified-Since": value}
    if kind == "lastmod" and value:
        when = parse_w3c(value)
        if when is not None:
            return {"If-Modified-Since": email.utils.format_datetime(when.astimezone(UTC), usegmt=True)}
    return {}


def parse_w3c(value: str) -> datetime | None:
    """A sitemap <lastmod> (W3C datetime: a date, or a date and time with a zone)."""
    with contextlib.suppress(ValueError):
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    return None


def loader_suffix(page: Page) -> str | None:
    """The loader suffix from the Content-Type, else from the URL when the server sends a generic type."""
    suffix = _SUFFIX_BY_TYPE.get(page.content_type)
    if suffix is None and page.content_type in _GENERIC_TYPES:
        path_suffix = Path(urlsplit(page.url).path).suffix.lower()
        suffix = path_suffix if path_suffix in SUPPORTED_SUFFIXES else None
    return suffix


def skipped_link(url: str) -> bool:
    """Whether the URL names a file that cannot become passages (images, scripts, archives...)."""
    return Path(urlsplit(url).path).suffix.lower() in _SKIPPED_SUFFIXES


def links_in(page: Page) -> Iterator[str]:
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
