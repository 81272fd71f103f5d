"""What a website says it holds: the sitemaps named by robots.txt (else /sitemap.xml), indexes followed.

A sitemap index may point to other indexes; the number of files read per listing is bounded, and so is a
gzipped sitemap's size once decompressed.
"""

from __future__ import annotations

import gzip
import io
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urljoin
from xml.etree import ElementTree

from sourcier.sync._connector import ListingProblem
from sourcier.sync._web_http import SiteClient
from sourcier.sync._web_pages import Gone, PageError, normalise_url

_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_MAX_SITEMAPS = 50  # sitemap files read per listing (an index pointing to indexes is bounded too)


@dataclass(slots=True)
class Sitemaps:
    """Page URL -> its <lastmod> (None without one), in sitemap order, and what could not be read."""

    pages: dict[str, str | None] = field(default_factory=dict)
    problems: list[ListingProblem] = field(default_factory=list)


def read_sitemaps(client: SiteClient, *, start_url: str, deadline: float, max_bytes: int) -> Sitemaps:
    """The site's sitemaps (robots.txt must have been read); problems are reported against `start_url`."""
    declared = client.declared_sitemaps()
    pending = deque(normalise_url(u) for u in declared) if declared else deque([f"{client.origin}/sitemap.xml"])
    read: set[str] = set()
    found = Sitemaps()
    while pending and len(read) < _MAX_SITEMAPS and time.monotonic() < deadline:
        url = pending.popleft()
        if url in read or not client.same_site(url):
            continue
        read.add(url)
        try:
            page = client.get(url)
        except Gone:
            continue
        except PageError as exc:
            if declared:  # a sitemap the site announces but cannot serve is worth telling
                found.problems.append(ListingProblem(start_url, f"sitemap {url} could not be read: {exc}"))
            continue
        assert page is not None
        try:
            root = ElementTree.fromstring(_maybe_gunzip(page.body.read_bytes(), max_bytes))
        except (ElementTree.ParseError, OSError, EOFError) as exc:
            found.problems.append(ListingProblem(start_url, f"sitemap {url} is not valid XML ({exc})"))
            continue
        finally:
            page.body.unlink(missing_ok=True)
        if root.tag == f"{_NS}sitemapindex":
            pending.extend(normalise_url(urljoin(url, loc)) for loc in _locs(root, "sitemap"))
        elif root.tag == f"{_NS}urlset":
            for node in root.iter(f"{_NS}url"):
                loc = (node.findtext(f"{_NS}loc") or "").strip()
                if loc:
                    lastmod = (node.findtext(f"{_NS}lastmod") or "").strip() or None
                    found.pages.setdefault(normalise_url(urljoin(url, loc)), lastmod)
    return found


def _maybe_gunzip(data: bytes, max_bytes: int) -> bytes:
    """sitemap.xml.gz files, decompressed up to max_bytes (a gzip bomb stops there and fails to parse)."""
    if not data.startswith(b"\x1f\x8b"):
        return data
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
        return f.read(max_bytes)


def _locs(root: ElementTree.Element, tag: str) -> list[str]:
    return [loc.strip() for node in root.iter(f"{_NS}{tag}")
            if (loc := node.findtext(f"{_NS}loc"))]  # fmt: skip
