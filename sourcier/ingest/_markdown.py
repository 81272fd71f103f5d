"""Markdown files through markdown-it-py tokens: headings, paragraphs, list items, code, tables.

Text is taken from the inline tokens, so emphasis markers and link targets do not reach the index:
"[le guide](https://intranet/rh)" is indexed as "le guide".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from sourcier.errors import EmptyFile
from sourcier.ingest._text import HeadingTrail, clean_inline, clean_paragraph, read_text, table_blocks, title_from_path
from sourcier.types import Block, ParsedDocument

MIME_TYPE = "text/markdown"

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HTML_TAG = re.compile(r"<[^>]*>")


def parse_markdown(path: Path) -> ParsedDocument:
    """Blocks under the heading path built from # headings; the first # heading is the title."""
    source = _FRONT_MATTER.sub("", read_text(path), count=1)
    tokens = MarkdownIt("commonmark").enable("table").parse(source)
    title = _first_h1(tokens) or title_from_path(path)
    trail = HeadingTrail(title)
    blocks: list[Block] = []
    items_open = 0  # list items we are inside
    item_started = False  # whether the current list item already gave its first paragraph
    rows: list[list[str]] = []

    def add(text: str) -> None:
        if text.strip():
            blocks.append(Block(text=text, heading_path=trail.path))

    for i, token in enumerate(tokens):
        kind = token.type
        if kind == "heading_open":
            trail.enter(int(token.tag[1:]), _inline_text(tokens[i + 1]))
        elif kind == "list_item_open":
            items_open += 1
            item_started = False
        elif kind == "list_item_close":
            items_open -= 1
            item_started = True
        elif kind == "inline" and tokens[i - 1].type == "paragraph_open":
            text = clean_paragraph(_inline_text(token))
            if items_open and not item_started:
                text, item_started = f"- {text}", True
            add(text)
        elif kind in ("fence", "code_block"):
            add(token.content.strip("\n"))
        elif kind == "html_block":
            add(clean_paragraph(_HTML_TAG.sub(" ", _HTML_COMMENT.sub("", token.content))))
        elif kind == "tr_open":
            rows.append([])
        elif kind == "inline" and tokens[i - 1].type in ("th_open", "td_open") and rows:
            rows[-1].append(_inline_text(token))
        elif kind == "table_close":
            blocks.extend(table_blocks(rows, trail.path))
            rows = []
    if not blocks:
        raise EmptyFile("the file has no text", hint="a Markdown file with headings only gives nothing to search")
    return ParsedDocument(title=title, mime_type=MIME_TYPE, blocks=tuple(blocks))


def _first_h1(tokens: Sequence[Token]) -> str:
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1":
            return clean_inline(_inline_text(tokens[i + 1]))
    return ""


def _inline_text(token: Token) -> str:
    """Plain text of an inline token: text and code spans, image alt text, line breaks."""
    parts: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline", "image"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
    return "".join(parts)
