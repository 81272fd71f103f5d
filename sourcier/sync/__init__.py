"""Keeping the index in line with sources: scan, detect what changed, parse, embed, store."""

from sourcier.sync._indexer import FolderIndexer, IndexEvent, IndexReport, embed_with_cache, parse_file
from sourcier.sync._scan import scan_folder

__all__ = ["FolderIndexer", "IndexEvent", "IndexReport", "embed_with_cache", "parse_file", "scan_folder"]
