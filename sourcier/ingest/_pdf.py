"""PDF files through pypdfium2: text per page, so that every passage can cite its page.

PDFs carry no reliable paragraph structure, only positioned lines. We keep a page's lines, rejoin
the ones that a line wrap cut mid-sentence, and let the splitter pack them. PDFium already marks
hyphenation at a line end with U+FFFE, which the cleaner drops, so "obli-/gatoire" reads
"obligatoire".
"""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from sourcier.errors import CorruptFile, EmptyFile
from sourcier.ingest._text import clean_inline, split_paragraphs, title_from_path
from sourcier.types import Block, ParsedDocument

MIME_TYPE = "application/pdf"

_ENCRYPTED = "encrypted PDF: password-protected files are not supported"
_WRAPPED = re.compile(r"\n(?=[a-zàâäçéèêëîïôöùûüÿœæ(])")  # a line break followed by a lowercase start
_WORD_EXPORT = re.compile(r"^Microsoft (?:Word|PowerPoint|Excel) - ", re.IGNORECASE)


def parse_pdf(path: Path) -> ParsedDocument:
    """One Block per paragraph of each page (often a whole page), with its 1-based page number."""
    pdf = _open(path)
    try:
        title = _title(pdf.get_metadata_dict(skip_empty=True).get("Title", "")) or title_from_path(path)
        page_count = len(pdf)
        blocks: list[Block] = []
        for index in range(page_count):
            for paragraph in split_paragraphs(_page_text(pdf, index)):
                blocks.append(Block(text=_unwrap(paragraph), heading_path=(title,), page=index + 1))
    finally:
        pdf.close()
    if not blocks:
        raise EmptyFile("no text layer; OCR not enabled", hint="the PDF holds only images (a scan?)")
    return ParsedDocument(title=title, mime_type=MIME_TYPE, blocks=tuple(blocks), page_count=page_count)


def _open(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise CorruptFile(_ENCRYPTED, hint="remove the password and add the file again") from exc
        if exc.err_code == pdfium_c.FPDF_ERR_FILE:
            raise CorruptFile("cannot read file: PDFium could not open it") from exc
        raise CorruptFile("damaged PDF: the file is truncated or is not a PDF") from exc


def _page_text(pdf: pdfium.PdfDocument, index: int) -> str:
    try:
        page = pdf[index]
        try:
            textpage = page.get_textpage()
            try:
                return str(textpage.get_text_bounded())
            finally:
                textpage.close()
        finally:
            page.close()
    except pdfium.PdfiumError as exc:
        raise CorruptFile(f"damaged PDF: page {index + 1} cannot be read") from exc


def _unwrap(paragraph: str) -> str:
    """Rejoin lines that a line wrap split: a line that goes on in lowercase continues the previous one."""
    return _WRAPPED.sub(" ", paragraph)


def _title(raw: object) -> str:
    """The /Title metadata, without the "Microsoft Word - report.docx" that Office exports leave there."""
    if not isinstance(raw, str):
        return ""
    title = clean_inline(_WORD_EXPORT.sub("", raw))
    return re.sub(r"\.(?:docx?|pptx?|xlsx?)$", "", title, flags=re.IGNORECASE).strip()
