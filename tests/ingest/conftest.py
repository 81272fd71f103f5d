"""Loader test helpers: each test writes one file of its format and reads it back through `load_file`."""

from __future__ import annotations

from pathlib import Path

from sourcier.ingest._load import load_file
from sourcier.types import Block, ParsedDocument

CAP = 10 * 1024 * 1024  # far above any generated file: the cap itself is tested with its own (test_load.py)


def load(path: Path) -> ParsedDocument:
    """Read a generated file the way ingestion does, through the suffix dispatch and its error mapping."""
    return load_file(path, max_bytes=CAP)


def texts(doc: ParsedDocument) -> list[str]:
    """The blocks' texts in reading order: what most assertions on structure compare."""
    return [b.text for b in doc.blocks]


def block_with(doc: ParsedDocument, needle: str) -> Block:
    """The first block holding `needle`: tests name a block by its content, not by a position that a
    loader change would shift."""
    return next(b for b in doc.blocks if needle in b.text)
