"""Plain text files, and the text helpers every loader shares.

Decoding favours what French offices actually produce: UTF-8 (with or without BOM), UTF-16 with BOM
(Excel's "Unicode text"), then Windows-1252. charset-normalizer is the last resort, not the first:
on short French Latin-1 files it guesses cp1250, cp775 or even EBCDIC and breaks the accents.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from charset_normalizer import from_bytes

from sourcier.errors import CorruptFile, EmptyFile
from sourcier.types import Block, ParsedDocument

MIME_TYPE = "text/plain"

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SPACES = re.compile(r"[^\S\n]+")  # whitespace other than newlines
_BLANK_LINES = re.compile(r"\n[^\S\n]*\n\s*")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u00ad\u200b\ufeff\ufffe]")  # U+FFFE: PDFium's hyphenation mark
_WORD = re.compile(r"[^\W\d_]+")
_SAMPLE_CHARS = 64 * 1024  # enough to judge an encoding; the whole file may be 50 MB


# -- decoding ----------------------------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """Bytes of a text file to str, with newlines normalised to "\\n".

    Raises CorruptFile when the bytes are not text in any encoding we can recognise.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _normalise_newlines(_decode_strict(data, encoding))
    for attempt in (_try_utf8, _try_utf16_without_bom, _try_western):
        text = attempt(data)
        if text is not None:
            return _normalise_newlines(text)
    if b"\x00" in data:
        raise CorruptFile("the file is not text: it contains binary data")
    best = from_bytes(data).best()
    if best is None:
        raise CorruptFile("cannot detect the text encoding of the file", hint="save it as UTF-8")
    return _normalise_newlines(str(best))


def read_text(path: Path) -> str:
    return decode_text(path.read_bytes())


def _decode_strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise CorruptFile(f"the file starts like {encoding} text but is not valid {encoding}") from exc


def _try_utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _try_utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 of mostly-Latin text has a NUL byte in every other position."""
    if len(data) < 4 or len(data) % 2:
        return None
    even_nuls, odd_nuls = data[0::2].count(0), data[1::2].count(0)
    half = len(data) // 2
    if odd_nuls > 0.3 * half and even_nuls < 0.05 * half:
        encoding = "utf-16-le"
    elif even_nuls > 0.3 * half and odd_nuls < 0.05 * half:
        encoding = "utf-16-be"
    else:
        return None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _try_western(data: bytes) -> str | None:
    """Windows-1252 (a superset of Latin-1's printable characters), if the result reads like a Latin script.

    In French words accented letters sit among plain ASCII ones ("congés"); Cyrillic or Greek bytes
    read as cp1252 give words with no ASCII letter at all, which we leave to charset-normalizer.
    """
    if b"\x00" in data:
        return None
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    sample = text[:_SAMPLE_CHARS]
    accented = [w for w in _WORD.findall(sample) if len(w) > 1 and not w.isascii()]
    foreign = sum(1 for w in accented if not any(c.isascii() for c in w))
    if accented and foreign > 0.5 * len(accented):
        return None
    controls = sum(1 for c in sample if unicodedata.category(c) == "Cc" and c not in "\t\n\r\f")
    return text if controls <= 0.01 * len(sample) else None


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# -- cleaning ----------------------------------------------------------------------------------------------


def clean_inline(text: str) -> str:
    """One line of text: NFC, every whitespace run (newlines included) to one space."""
    return " ".join(_clean_chars(text).split())


def clean_paragraph(text: str) -> str:
    """A paragraph: NFC, spaces collapsed within lines, line breaks kept, blank lines dropped."""
    lines = (_SPACES.sub(" ", line).strip() for line in _clean_chars(text).split("\n"))
    return "\n".join(line for line in lines if line)


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs separated by blank lines, each cleaned; empty ones dropped."""
    parts = (clean_paragraph(p) for p in _BLANK_LINES.split(text))
    return [p for p in parts if p]


def _clean_chars(text: str) -> str:
    text = _normalise_newlines(text).replace("\v", "\n").replace("\f", "\n").replace("\u2028", "\n")
    return unicodedata.normalize("NFC", _CONTROL.sub("", text.replace("\t", " ")))


# -- titles, headings and tables ---------------------------------------------------------------------------


def title_from_path(path: Path) -> str:
    """What a reader would call a file with no title of its own: its name, separators as spaces."""
    return " ".join(path.stem.replace("_", " ").replace("-", " ").split()) or path.name


def same_text(a: str, b: str) -> bool:
    return clean_inline(a).casefold() == clean_inline(b).casefold()


class HeadingTrail:
    """The heading path at the current point of a document: its title, then each open heading.

    A top heading that repeats the document title (a Markdown file's `# Title`, an HTML page's h1) is
    not repeated in the path.
    """

    def __init__(self, title: str) -> None:
        self._title = title
        self._open: list[tuple[int, str]] = []

    def enter(self, level: int, text: str) -> None:
        """A heading of `level` (1 = top) closes every open heading at that level or deeper."""
        text = clean_inline(text)
        if not text:
            return
        while self._open and self._open[-1][0] >= level:
            self._open.pop()
        self._open.append((level, text))

    @property
    def path(self) -> tuple[str, ...]:
        names = [text for _, text in self._open]
        if names and same_text(names[0], self._title):
            names = names[1:]
        return (self._title, *names)


def table_blocks(rows: Iterable[Sequence[str]], heading_path: tuple[str, ...], page: int | None = None) -> list[Block]:
    """A table as one table Block: cells joined by " | ", one row per line, the header row first.

    Cells are flattened to one line each (a newline would split a row in two for the splitter), and
    empty rows and columns are dropped. The header is the first row that fills at least half the
    table's width: a sheet often opens with a title line or two in its first cell, which would make
    a useless header to repeat in every chunk; such lines come out as a text Block before the table.
    A table left with a single row is plain text, since a header with nothing under it would give
    the splitter nothing to cut.
    """
    cleaned = [[clean_inline(cell) for cell in row] for row in rows]
    cleaned = [row for row in cleaned if any(row)]
    if not cleaned:
        return []
    filled = [sum(1 for cell in row if cell) for row in cleaned]
    wide = max(2, (max(filled) + 1) // 2)
    start = next((i for i, n in enumerate(filled) if n >= wide), 0)
    blocks: list[Block] = []
    if start:
        preamble = "\n".join(" | ".join(cell for cell in row if cell) for row in cleaned[:start])
        blocks.append(Block(text=preamble, heading_path=heading_path, page=page))
    table = cleaned[start:]
    width = max(len(row) for row in table)
    padded = [row + [""] * (width - len(row)) for row in table]
    kept = [i for i in range(width) if any(row[i] for row in padded)]
    lines = [" | ".join(row[i] for i in kept) for row in padded]
    if len(lines) == 1:
        blocks.append(Block(text=lines[0], heading_path=heading_path, page=page))
    else:
        text = "\n".join(lines)
        blocks.append(Block(text=text, heading_path=heading_path, page=page, kind="table", table_header=lines[0]))
    return blocks


@contextmanager
def office_package(app: str, suffix: str, *unreadable: type[Exception]) -> Iterator[None]:
    """Around opening an Office Open XML file (.docx, .pptx, .xlsx): a broken zip archive, a missing part or
    what the library raises for a package it cannot read (`unreadable`) is a CorruptFile naming the format."""
    caught: tuple[type[Exception], ...] = (*unreadable, zipfile.BadZipFile, KeyError)
    try:
        yield
    except caught as exc:
        raise CorruptFile(
            f"damaged {app} file: not a valid .{suffix} archive",
            hint=f"an old .{suffix[:-1]} renamed? Save it as .{suffix}",
        ) from exc


# -- plain text files --------------------------------------------------------------------------------------


def parse_text(path: Path) -> ParsedDocument:
    """A plain text file: one Block per paragraph (paragraphs are separated by blank lines)."""
    title = title_from_path(path)
    paragraphs = split_paragraphs(read_text(path))
    if not paragraphs:
        raise EmptyFile("the file is empty")
    blocks = tuple(Block(text=p, heading_path=(title,)) for p in paragraphs)
    return ParsedDocument(title=title, mime_type=MIME_TYPE, blocks=blocks)
