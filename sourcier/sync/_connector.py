"""The connector contract: what a source system must offer for sourcier to keep its index fresh.

A connector lists items cheaply (ids and version hints, nothing read), then fetches one item's content
when the sync engine decides it needs it. Change detection, hashing, parsing, embedding, storage,
crash safety and scheduling all stay in the engine, so a new source system (SharePoint, Confluence,
Google Drive, S3, IMAP) is one module implementing these two methods.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ItemRef:
    """One item as listed, before anything is read.

    `version` is a hint only ("size:mtime", an ETag, a Last-Modified date): an equal hint lets the engine
    skip the item without reading it; a different one makes it fetch and compare content hashes, which
    decide. `acl` is None when the source's default access list applies.
    """

    uri: str  # stable identity inside the source: a relative path, a URL
    path: str  # where a person finds the original: an absolute path, a URL
    version: str
    size: int | None = None
    modified_at: datetime | None = None
    acl: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class ListingProblem:
    """An item (or a part of the source) that could not be listed, with a reason a person can act on."""

    uri: str
    reason: str


@dataclass(frozen=True, slots=True)
class RefusedItem(ListingProblem):
    """An entry sourcier will never index (a symbolic link): reported like any listing problem, but what
    was indexed under its name is not kept, since no later run will read it either."""


@dataclass(frozen=True, slots=True)
class NothingListed(ListingProblem):
    """The source itself could not be listed (a folder missing, unmounted, unreadable): the run must fail and
    keep every document, rather than take an empty listing for a source whose items were all deleted."""


@dataclass(frozen=True, slots=True)
class FetchedItem:
    """An item's content, as a local file the loaders can read (its suffix picks the loader).

    `temporary` files were written by the connector into the engine's scratch folder and are deleted
    once parsed; a filesystem connector hands out the original file itself.
    """

    ref: ItemRef
    local_path: Path
    version: str  # the version hint after fetching (a server may send a new ETag)
    temporary: bool = False


class NotModified(Exception):
    """Raised by `fetch` when the source confirms the item did not change (e.g. HTTP 304)."""


class FetchFailed(Exception):
    """Raised by `fetch` when this item cannot be read now; the engine records why and retries later."""


class Connector(Protocol):
    """A source system. Construction is cheap (configuration only); I/O happens in the methods."""

    kind: str

    def list_items(self) -> Iterator[ItemRef | ListingProblem]:
        """Every item the source holds now, in a stable order; problems are yielded, never raised.

        A plain ListingProblem keeps what was indexed under its uri (and under it, as a folder); a RefusedItem
        lets it go; a NothingListed fails the whole run.
        """
        ...

    def fetch(self, ref: ItemRef, *, known_version: str | None, scratch: Path) -> FetchedItem:
        """The item's content. `known_version` allows a conditional read (raise NotModified)."""
        ...

    def close(self) -> None: ...
