"""Keeping the index in line with sources: list, detect what changed, fetch, parse, embed, store."""

from sourcier.errors import SyncAlreadyRunning
from sourcier.sync._connector import (
    Connector,
    FetchedItem,
    FetchFailed,
    ItemRef,
    ListingProblem,
    NothingListed,
    NotModified,
    RefusedItem,
)
from sourcier.sync._connectors import CONNECTORS, create_connector
from sourcier.sync._declared import parse_every, sync_declared_sources
from sourcier.sync._engine import FolderIndexer, SyncEngine
from sourcier.sync._filesystem import FilesystemConnector
from sourcier.sync._indexer import IndexEvent, IndexReport, embed_with_cache, parse_file
from sourcier.sync._reindex import Reindexer, ReindexReport
from sourcier.sync._report import SyncReport
from sourcier.sync._scan import scan_folder
from sourcier.sync._scheduler import Scheduler
from sourcier.sync._validate import SourcePolicy, check_declared, check_source
from sourcier.sync._worker import Worker

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
    "NothingListed",
    "RefusedItem",
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
