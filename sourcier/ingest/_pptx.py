"""PowerPoint files through python-pptx: one section per slide, with its number as the page.

Shapes are read in the slide's own order (z-order), which is the order the author added them; groups
are opened. Speaker notes often hold the actual explanation, so they are kept, marked "Notes : ".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pptx
from pptx.exc import PackageNotFoundError
from pptx.shapes.autoshape import Shape
from pptx.shapes.base import BaseShape
from pptx.shapes.graphfrm import GraphicFrame
from pptx.shapes.group import GroupShape
from pptx.slide import Slide

from sourcier.errors import EmptyFile
from sourcier.ingest._text import (
    clean_inline,
    clean_paragraph,
    office_package,
    same_text,
    table_blocks,
    title_from_path,
)
from sourcier.types import Block, ParsedDocument

MIME_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def parse_pptx(path: Path) -> ParsedDocument:
    """Blocks of each slide under (deck title, slide title), with page = slide number."""
    with office_package("PowerPoint", "pptx", PackageNotFoundError):
        deck = pptx.Presentation(str(path))
    slides = list(deck.slides)
    first_title = _slide_title(slides[0]) if slides else ""
    title = first_title or clean_inline(deck.core_properties.title or "") or title_from_path(path)
    blocks: list[Block] = []
    for number, slide in enumerate(slides, start=1):
        slide_title = _slide_title(slide) or f"Diapositive {number}"
        heading_path = (title,) if same_text(slide_title, title) else (title, slide_title)
        blocks.extend(_slide_blocks(slide, heading_path, number))
    if not blocks:
        raise EmptyFile("the presentation has no text")
    return ParsedDocument(title=title, mime_type=MIME_TYPE, blocks=tuple(blocks), page_count=len(slides))


def _slide_title(slide: Slide) -> str:
    shape = slide.shapes.title
    if shape is None or not shape.has_text_frame:
        return ""
    return clean_inline(shape.text_frame.text)


def _slide_blocks(slide: Slide, heading_path: tuple[str, ...], number: int) -> Iterator[Block]:
    title_shape = slide.shapes.title
    title_id = title_shape.shape_id if title_shape is not None else None
    for shape in _flatten(slide.shapes):
        if shape.shape_id == title_id:
            continue
        if isinstance(shape, GraphicFrame) and shape.has_table:
            rows = ([cell.text for cell in row.cells] for row in shape.table.rows)
            yield from table_blocks(rows, heading_path, page=number)
        elif isinstance(shape, Shape) and shape.has_text_frame:
            for paragraph in shape.text_frame.paragraphs:
                text = clean_paragraph(paragraph.text)
                if text:
                    yield Block(text=text, heading_path=heading_path, page=number)
    if slide.has_notes_slide:
        frame = slide.notes_slide.notes_text_frame
        notes = clean_paragraph(frame.text) if frame is not None else ""
        if notes:
            yield Block(text=f"Notes : {notes}", heading_path=heading_path, page=number)


def _flatten(shapes: Iterable[BaseShape]) -> Iterator[BaseShape]:
    for shape in shapes:
        if isinstance(shape, GroupShape):
            yield from _flatten(shape.shapes)
        else:
            yield shape
