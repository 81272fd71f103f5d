"""Word files through python-docx: headings from paragraph styles, lists, tables in document order.

French Word stores built-in styles under their English names ("Heading 1" shows as "Titre 1"), but
templates made elsewhere use "Titre 1" or a custom style based on a heading, so we look at the
style's name, its base styles and the outline level.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.oxml.table import CT_Tbl
from docx.oxml.text.paragraph import CT_P
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.table import Table
from docx.text.paragraph import Paragraph

from sourcier.errors import EmptyFile
from sourcier.ingest._text import (
    HeadingTrail,
    clean_paragraph,
    office_package,
    same_text,
    table_blocks,
    title_from_path,
)
from sourcier.types import Block, ParsedDocument

if TYPE_CHECKING:
    from docx.document import Document
    from docx.styles.style import ParagraphStyle

MIME_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

_HEADING_STYLE = re.compile(r"^(?:heading|titre)\s*(\d)$", re.IGNORECASE)
_TITLE_STYLE = re.compile(r"^(?:title|titre)$", re.IGNORECASE)
_LIST_STYLE = re.compile(r"\blist[e]?\b", re.IGNORECASE)
_TOC_STYLE = re.compile(r"^(?:toc|tm)\s*\d", re.IGNORECASE)  # "TOC 1", French "TM 1"
_BODY_TEXT_OUTLINE = 9  # w:outlineLvl 0-8 are heading levels, 9 is body text
_STYLE_DEPTH = 6  # how far up a style's base styles we look


def parse_docx(path: Path) -> ParsedDocument:
    """Paragraphs and list items as Blocks under their heading path; each table as one table Block."""
    with office_package("Word", "docx", PackageNotFoundError):
        document = docx.Document(str(path))
    items = list(_body_items(document))
    title = _title(document, items) or title_from_path(path)
    trail = HeadingTrail(title)
    blocks: list[Block] = []
    for item in items:
        if isinstance(item, Table):
            blocks.extend(table_blocks(_table_rows(item), trail.path))
            continue
        text = clean_paragraph(item.text)
        if not text:
            continue
        style = _style_name(item)
        if _TOC_STYLE.match(style):
            continue
        level = _heading_level(item)
        if level is not None:
            trail.enter(level, text)
        elif _TITLE_STYLE.match(style) and same_text(text, title):
            continue
        elif _is_list_item(item):
            blocks.append(Block(text=f"- {text}", heading_path=trail.path))
        else:
            blocks.append(Block(text=text, heading_path=trail.path))
    if not blocks:
        raise EmptyFile("the document is empty")
    return ParsedDocument(title=title, mime_type=MIME_TYPE, blocks=tuple(blocks))


def _body_items(document: Document) -> Iterator[Paragraph | Table]:
    """Paragraphs and tables of the body in order, including those inside content controls (w:sdt),
    except a table of contents, which only repeats the headings."""

    def walk(parent: BaseOxmlElement) -> Iterator[Paragraph | Table]:
        for child in parent.iterchildren():
            if isinstance(child, CT_P):
                yield Paragraph(child, document)
            elif isinstance(child, CT_Tbl):
                yield Table(child, document)
            elif child.tag == qn("w:sdt") and not _is_toc(child):
                for content in child.iterchildren(qn("w:sdtContent")):
                    yield from walk(content)

    yield from walk(document.element.body)


def _is_toc(sdt: BaseOxmlElement) -> bool:
    galleries: list[str] = sdt.xpath("./w:sdtPr/w:docPartObj/w:docPartGallery/@w:val")
    return any("table of contents" in g.lower() for g in galleries)


def _title(document: Document, items: list[Paragraph | Table]) -> str:
    """The core properties title, else the text of a paragraph in the Title style."""
    title = clean_paragraph(document.core_properties.title or "").replace("\n", " ")
    if title:
        return title
    for item in items:
        if isinstance(item, Paragraph) and _TITLE_STYLE.match(_style_name(item)):
            text = clean_paragraph(item.text).replace("\n", " ")
            if text:
                return text
    return ""


def _style_chain(paragraph: Paragraph) -> Iterator[ParagraphStyle]:
    style: ParagraphStyle | None = paragraph.style
    for _ in range(_STYLE_DEPTH):
        if style is None:
            return
        yield style
        style = style.base_style


def _style_name(paragraph: Paragraph) -> str:
    style = paragraph.style
    return (style.name or "") if style is not None else ""


def _heading_level(paragraph: Paragraph) -> int | None:
    """1 for a top heading; None for body text. Direct outline level first, then the style chain."""
    direct = _outline_level(paragraph._p)
    if direct is not None:
        return direct
    for style in _style_chain(paragraph):
        match = _HEADING_STYLE.match(style.name or "")
        if match:
            return max(1, int(match.group(1)))
        level = _outline_level(style.element)
        if level is not None:
            return level
    return None


def _outline_level(element: BaseOxmlElement) -> int | None:
    values: list[str] = element.xpath("./w:pPr/w:outlineLvl/@w:val")
    if not values or not values[0].isdigit():
        return None
    level = int(values[0])
    return None if level >= _BODY_TEXT_OUTLINE else level + 1


def _is_list_item(paragraph: Paragraph) -> bool:
    """A list style, or numbering on the paragraph or its style (bullets and numbered lists alike)."""
    if paragraph._p.xpath("./w:pPr/w:numPr"):
        return True
    for style in _style_chain(paragraph):
        if _LIST_STYLE.search(style.name or "") or style.element.xpath("./w:pPr/w:numPr"):
            return True
    return False


def _table_rows(table: Table) -> Iterator[list[str]]:
    """Cell texts row by row; a cell merged across columns is read once, not once per column."""
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if cell._tc is previous:
                continue
            previous = cell._tc
            cells.append(cell.text)
        yield cells
