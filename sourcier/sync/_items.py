"""What a claimed job becomes on its way through a worker: fetched and hashed, then parsed, then stored.

Each step hands the next one record, so the fields travel together and by name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sourcier.store.documents import DocumentMeta
from sourcier.store.jobs import Job
from sourcier.sync._connector import FetchedItem
from sourcier.sync._indexer import Parsed


@dataclass(frozen=True, slots=True)
class FileSignature:
    """Size and modification time of a fetched file: taken before hashing and compared again after hashing
    and before storing, so that a file rewritten while it was read is never indexed half old, half new."""

    size: int
    mtime_ns: int


def file_signature(path: Path) -> FileSignature:
    """The signature of the entry itself: a symbolic link that replaced the file is a change, never followed."""
    st = os.lstat(path)
    return FileSignature(st.st_size, st.st_mtime_ns)


@dataclass(frozen=True, slots=True)
class PreparedItem:
    """A job whose item was fetched and hashed and that needs parsing (neither unchanged nor moved).

    `meta` carries the fetched file's size and content hash; `is_new` tells a new document from a modified one.
    """

    job: Job
    meta: DocumentMeta
    fetched: FetchedItem
    signature: FileSignature
    is_new: bool


@dataclass(frozen=True, slots=True)
class ParsedItem:
    """A prepared item with its passages, waiting for their vectors."""

    prepared: PreparedItem
    parsed: Parsed


def drop_temporary(fetched: FetchedItem) -> None:
    """Delete the connector's scratch copy once it is no longer needed (an original file is left alone)."""
    if fetched.temporary:
        fetched.local_path.unlink(missing_ok=True)
