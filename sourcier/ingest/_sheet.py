"""Spreadsheets (openpyxl) and CSV files: each sheet becomes one table Block, header row first.

Cells are written the way a person reads them in the sheet, not the way Python prints them: 12 not
12.0, 2024-03-01 not 2024-03-01 00:00:00, 15% for a percentage cell. French CSV files usually use
";" (the comma is the decimal separator), so the delimiter is sniffed.
"""

from __future__ import annotations

import csv
import io
import warnings
from datetime import date, datetime, time
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

from sourcier.errors import CorruptFile, EmptyFile
from sourcier.ingest._text import clean_inline, office_package, read_text, same_text, table_blocks, title_from_path
from sourcier.types import Block, ParsedDocument

XLSX_MIME_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME_TYPE = "text/csv"

_DELIMITERS = ";,\t|"
_SNIFF_CHARS = 16 * 1024  # csv.Sniffer is quadratic on some inputs: keep its sample small


def parse_xlsx(path: Path) -> ParsedDocument:
    """One table Block per non-empty worksheet, under (title, sheet name); formulas give their cached values."""
    with office_package("Excel", "xlsx", InvalidFileException), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Data Validation extension is not supported" and the like
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        title = clean_inline(workbook.properties.title or "") or title_from_path(path)
        blocks: list[Block] = []
        for sheet in workbook.worksheets:
            sheet.reset_dimensions()  # trust the cells, not the <dimension> some writers get wrong
            rows = ([_format_cell(cell.value, cell.number_format) for cell in row] for row in sheet.iter_rows())
            name = clean_inline(sheet.title)
            blocks.extend(table_blocks(rows, (title,) if same_text(name, title) else (title, name)))
    finally:
        workbook.close()
    if not blocks:
        raise EmptyFile("the workbook has no data")
    return ParsedDocument(title=title, mime_type=XLSX_MIME_TYPE, blocks=tuple(blocks))


def parse_csv(path: Path) -> ParsedDocument:
    """The whole file as one table Block, first row as header."""
    title = title_from_path(path)
    text = read_text(path)
    if not text.strip():
        raise EmptyFile("the file is empty")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text)))
    except csv.Error as exc:
        raise CorruptFile(f"malformed CSV: {exc}") from exc
    blocks = table_blocks(rows, (title,))
    if not blocks:
        raise EmptyFile("the file has no data")
    return ParsedDocument(title=title, mime_type=CSV_MIME_TYPE, blocks=tuple(blocks))


def _sniff_delimiter(text: str) -> str:
    """csv.Sniffer on the first lines; if it cannot decide, the likeliest separator of the first line.

    A ";" on every line, the same number of times, wins over a "," that csv.Sniffer prefers on a tie.
    """
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS:
        sample = sample[: sample.rfind("\n") + 1] or sample  # whole lines only
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        first_line = sample.split("\n", 1)[0]
        counts = {d: first_line.count(d) for d in _DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","
    if sniffed == "," and _steady(sample, ";"):
        return ";"  # "A;1,5" fits both; in France the comma is the decimal separator
    return sniffed


def _steady(sample: str, delimiter: str) -> bool:
    """Whether every line holds the delimiter, the same number of times."""
    counts = {line.count(delimiter) for line in sample.split("\n") if line.strip()}
    return len(counts) == 1 and counts.pop() > 0


def _format_cell(value: object, number_format: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "VRAI" if value else "FAUX"  # how French Excel shows booleans
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if value.second else "minutes")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, (int, float)):
        if number_format and "%" in number_format:
            return f"{_format_number(value * 100)}%"
        return _format_number(value)
    return str(value)


def _format_number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if value.is_integer():
        return str(int(value))
    return format(value, ".15g")  # 0.1 + 0.2 reads 0.3, as in the sheet
