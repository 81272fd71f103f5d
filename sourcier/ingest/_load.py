"""The one entry point from a file on disk to a ParsedDocument: pick the loader by suffix.

This is the edge where third-party parsers meet sourcier, so every error leaves here as an
IngestError with a reason a person can act on; a batch ingest records it and moves on to the next
file. The size cap is checked before anything is read, so a huge file costs nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from sourcier.errors import CorruptFile, EmptyFile, IngestError, UnsupportedFile
from sourcier.ingest._docx import parse_docx
from sourcier.ingest._html import parse_html
from sourcier.ingest._markdown import parse_markdown
from sourcier.ingest._pdf import parse_pdf
from sourcier.ingest._pptx import parse_pptx
from sourcier.ingest._sheet import parse_csv, parse_xlsx
from sourcier.ingest._size import check_file_size
from sourcier.ingest._text import parse_text
from sourcier.types import ParsedDocument

_log = logging.getLogger(__name__)

Parser = Callable[[Path], ParsedDocument]

_PARSERS: dict[str, Parser] = {
    ".pdf": parse_pdf,
    ".docx": parse_docx,
    ".pptx": parse_pptx,
    ".xlsx": parse_xlsx,
    ".csv": parse_csv,
    ".html": parse_html,
    ".htm": parse_html,
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".txt": parse_text,
    ".text": parse_text,
}

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_PARSERS)

_OFFICE_LOCK_PREFIX = "~$"  # "~$rapport.docx": the lock file Office keeps next to an open document


def is_supported(path: Path) -> bool:
    """Whether a scan should pick this file up: a suffix we read, and not an Office lock file."""
    return path.suffix.lower() in SUPPORTED_SUFFIXES and not path.name.startswith(_OFFICE_LOCK_PREFIX)


def load_file(path: Path, *, max_bytes: int) -> ParsedDocument:
    """Read one file into a title and blocks in reading order.

    Raises UnsupportedFile, FileTooLarge, CorruptFile (damaged, encrypted, unreadable) or EmptyFile
    (nothing to index); never a parser's own exception.
    """
    suffix = path.suffix.lower()
    parser = _PARSERS.get(suffix)
    if parser is None:
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise UnsupportedFile(
            f"{path.name}: {suffix or 'files without an extension'} files are not supported",
            hint=f"supported: {kinds}",
        )
    try:
        size = path.stat().st_size
        with path.open("rb"):  # stat succeeds on a file we may not read: find out before parsing
            pass
    except OSError as exc:
        raise _unreadable(exc) from exc
    check_file_size(size, max_bytes, name=path.name)
    if size == 0:
        raise EmptyFile(f"{path.name} is empty (0 bytes)")
    try:
        doc = parser(path)
    except IngestError:
        raise
    except OSError as exc:
        raise _unreadable(exc) from exc
    except MemoryError as exc:
        raise CorruptFile("the file is too complex to read in the memory available") from exc
    except Exception as exc:  # a parser library failing on input it did not expect
        _log.debug("parser for %s failed on %s", suffix, path, exc_info=True)
        raise CorruptFile(f"damaged {suffix[1:].upper()} file: it could not be read ({type(exc).__name__})") from exc
    if not any(block.text.strip() for block in doc.blocks):
        raise EmptyFile(f"{path.name} holds no text")
    return doc


def _unreadable(exc: OSError) -> CorruptFile:
    if isinstance(exc, PermissionError):
        return CorruptFile("cannot read file: permission denied")
    if isinstance(exc, FileNotFoundError):
        return CorruptFile("cannot read file: it no longer exists")
    return CorruptFile(f"cannot read file: {(exc.strerror or type(exc).__name__).lower()}")
