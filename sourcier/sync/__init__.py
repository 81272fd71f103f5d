"""Keeping the index in line with sources: list, detect what changed, fetch, parse, embed, store."""

from collections.abc import Sequence
from typing import Any

from psycopg import Connection

from sourcier.config import Settings, SourceConfig
from sourcier.errors import SyncAlreadyRunning
from sourcier.sync._connector import Connector, FetchedItem, FetchFailed, ItemRef, ListingProblem, NotModified
from sourcier.sync._connectors import CONNECTORS, create_connector
from sourcier.sync._engine import (
    FolderIndexer,
    Scheduler,
    SyncEngine,
    SyncReport,
    Worker,
    parse_every,
)
from sourcier.sync._engine import sync_declared_sources as _store_declared
from sourcier.sync._filesystem import FilesystemConnector
from sourcier.sync._indexer import IndexEvent, IndexReport, embed_with_cache, parse_file
from sourcier.sync._reindex import Reindexer, ReindexReport
from sourcier.sync._scan import scan_folder
from sourcier.sync._validate import SourcePolicy, check_declared, check_source


def sync_declared_sources(conn: Connection[Any], declared: Sequence[SourceConfig], *, settings: Settings) -> list[str]:
    """Create or update the sources of sourcier.toml, all checked first (ConfigError, nothing stored, if one fails).

    The file is written by whoever runs the server, so it reaches as far as the local CLI does; `settings` is
    required so that no caller can store the file's sources without checking them.
    """
    return _store_declared(conn, check_declared(declared, SourcePolicy.local(settings)))


__all__ = [
    "CONNECTORS",
    "Connector",
    "FetchFailed",
    "FetchedItem",
    "FilesystemConnector",
    "FolderIndexer",
    "IndexEvent",
    "IndexReport",
    "ItemRef",
    "ListingProblem",
    "NotModified",
    "ReindexReport",
    "Reindexer",
    "Scheduler",
    "SourcePolicy",
    "SyncAlreadyRunning",
    "SyncEngine",
    "SyncReport",
    "Worker",
    "check_declared",
    "check_source",
    "create_connector",
    "embed_with_cache",
    "parse_every",
    "parse_file",
    "scan_folder",
    "sync_declared_sources",
]
