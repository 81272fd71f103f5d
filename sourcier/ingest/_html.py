"""HTML pages through selectolax (lexbor): the main content only, in blocks under their headings.

Navigation, page headers and footers, scripts and forms are dropped first: they repeat on every
page of an intranet and would match every question. A page's <main> (or its single <article>) is
preferred to the whole <body> for the same reason.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser, LexborNode

from sourcier.errors import EmptyFile
from sourcier.ingest._text import (
    HeadingTrail,
    clean_inline,
    clean_paragraph,
    decode_text,
    table_blocks,
    title_from_path,
)
from sourcier.types import Block, ParsedDocument

MIME_TYPE = "text/html"

_DROPPED = ("script", "style", "noscript", "template", "nav", "aside", "form", "footer", "iframe", "svg")
_DROPPED_SELECTOR = ", ".join(
    (*_DROPPED, "[hidden]", "[aria-hidden=true]", "[role=navigation]", "[class*=breadcrumb]", "[class*=ariane]")
)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_LEAVES = frozenset({"p", "pre", "blockquote", "dd", "dt", "figcaption", "address", "summary"})
_LISTS = frozenset({"ul", "ol", "menu"})
_BLOCKS = frozenset(
    {
        *_HEADINGS,
        *_LEAVES,
        *_LISTS,
        "li",
        "table",
        "div",
        "section",
        "article",
        "main",
        "header",
        "dl",
        "figure",
        "details",
        "fieldset",
        "hr",
        "body",
        "center",
    }
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HTML_WHITESPACE = re.compile(r"\s+")


def parse_html(path: Path) -> ParsedDocument:
    """Paragraphs, list items and preformatted text as Blocks; tables as table Blocks."""
    tree = LexborHTMLParser(_decode(path.read_bytes()))
    # Innermost first, so that no node is freed along with an ancestor before its own turn.
    for node in reversed(tree.css(_DROPPED_SELECTOR)):
        node.decompose()
    for node in reversed(tree.css("header")):
        if not _inside(node, ("main", "article")):  # a page banner; an article's own header is content
            node.decompose()
    root = _content_root(tree)
    if root is None:
        raise EmptyFile("the page has no content")
    title = _title(tree, root) or title_from_path(path)
    walker = _Walker(title)
    walker.walk(root)
    if not walker.blocks:
        raise EmptyFile("the page has no text")
    return ParsedDocument(title=title, mime_type=MIME_TYPE, blocks=tuple(walker.blocks))


def _title(tree: LexborHTMLParser, root: LexborNode) -> str:
    """The <title>, or the first h1 when the <title> is that h1 plus the site's name ("Congés — Intranet")."""
    title_node, h1_node = tree.css_first("title"), root.css_first("h1")
    title = clean_inline(title_node.text()) if title_node is not None else ""
    h1 = clean_inline(_inline_text(h1_node)) if h1_node is not None else ""
    if h1 and (not title or h1.casefold() in title.casefold()):
        return h1
    return title


def _decode(data: bytes) -> str:
    """The charset the page declares, when it declares a real one; else the shared text detection."""
    match = _META_CHARSET.search(data[:4096])
    if match and not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        name = match.group(1).decode("ascii").lower()
        if name in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"):
            name = "cp1252"  # what browsers do, per the HTML standard
        try:
            return data.decode(codecs.lookup(name).name)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text(data)


def _inside(node: LexborNode, tags: tuple[str, ...]) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in tags:
            return True
        parent = parent.parent
    return False


def _content_root(tree: LexborHTMLParser) -> LexborNode | None:
    main = tree.css_first("main")
    if main is not None:
        return main
    articles = tree.css("article")
    return articles[0] if len(articles) == 1 else tree.body


def _inline_text(node: LexborNode, *, skip: frozenset[str] = frozenset()) -> str:
    """Text of a node as a browser lays it out: source whitespace collapsed, <br> and blocks as line breaks."""
    parts: list[str] = []
    for child in node.iter(include_text=True):
        if child.tag in _BLOCKS and child.tag not in skip:
            parts.append(f"\n{_inline_text(child, skip=skip)}\n")
        else:
            parts.append(_inline_part(child, skip))
    return "".join(parts)


def _inline_part(child: LexborNode, skip: frozenset[str] = frozenset()) -> str:
    """What a child other than a block adds to a line: its text with source whitespace collapsed, a line
    break for <br>, an inline element's text; nothing for a comment or a tag in `skip`."""
    tag = child.tag
    if tag == "-text":
        return _HTML_WHITESPACE.sub(" ", child.text_content or "")
    if tag == "br":
        return "\n"
    if tag is None or tag.startswith("-") or tag in skip:
        return ""
    return _inline_text(child, skip=skip)


def _preformatted_text(node: LexborNode) -> str:
    lines = [line.rstrip() for line in node.text(deep=True).replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


class _Walker:
    """Walks the content tree in document order, keeping the heading path up to date."""

    def __init__(self, title: str) -> None:
        self.trail = HeadingTrail(title)
        self.blocks: list[Block] = []

    def walk(self, node: LexborNode) -> None:
        loose: list[str] = []  # text sitting directly in a container, outside any <p>
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag is None or tag not in _BLOCKS:
                loose.append(_inline_part(child))
            else:
                self._add(clean_paragraph("".join(loose)))
                loose.clear()
                self._visit_block(child, tag)
        self._add(clean_paragraph("".join(loose)))

    def _visit_block(self, node: LexborNode, tag: str) -> None:
        if tag in _HEADINGS:
            self.trail.enter(_HEADINGS[tag], _inline_text(node))
        elif tag == "pre":
            self._add(_preformatted_text(node))
        elif tag in _LEAVES:
            self._add(clean_paragraph(_inline_text(node)))
        elif tag == "li":
            self._add(clean_paragraph(_inline_text(node, skip=_LISTS)), prefix="- ")
            for nested in node.iter():
                if nested.tag in _LISTS:
                    self.walk(nested)
        elif tag == "table":
            rows = ([_inline_text(cell) for cell in row.iter() if cell.tag in ("td", "th")] for row in node.css("tr"))
            self.blocks.extend(table_blocks(rows, self.trail.path))
        else:
            self.walk(node)

    def _add(self, text: str, *, prefix: str = "") -> None:
        if text.strip():
            self.blocks.append(Block(text=f"{prefix}{text}", heading_path=self.trail.path))
