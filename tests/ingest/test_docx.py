"""Word loader (sourcier/ingest/_docx.py): heading paths from styles, lists and tables in document order."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from sourcier.errors import CorruptFile, EmptyFile
from tests.ingest.conftest import block_with, load, texts


def test_docx_keeps_heading_paths_lists_and_tables_in_order(tmp_path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = "Guide RH"
    document.add_heading("Guide RH", level=1)  # repeats the title: not repeated in the path
    document.add_paragraph("Ce guide s'adresse à tous les salariés.")
    document.add_heading("Congés", level=2)
    document.add_paragraph("Les congés payés se posent dans l'outil RH.")
    document.add_heading("Télétravail", level=3)
    document.add_paragraph("Deux jours par semaine", style="List Bullet")
    document.add_paragraph("Accord du manager requis", style="List Number")
    table = document.add_table(rows=4, cols=3)
    rows = [("Ancienneté", "Jours", ""), ("", "", ""), ("1 an", "25", ""), ("5 ans", "27", "")]  # empty row and column
    for row, values in zip(table.rows, rows, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_heading("Mutuelle", level=2)
    document.add_paragraph("La mutuelle est obligatoire.")
    path = tmp_path / "guide.docx"
    document.save(str(path))

    doc = load(path)
    assert doc.title == "Guide RH"
    assert doc.mime_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert texts(doc)[0] == "Ce guide s'adresse à tous les salariés."
    assert doc.blocks[0].heading_path == ("Guide RH",)
    assert block_with(doc, "outil RH").heading_path == ("Guide RH", "Congés")
    assert block_with(doc, "Deux jours").text == "- Deux jours par semaine"
    assert block_with(doc, "Deux jours").heading_path == ("Guide RH", "Congés", "Télétravail")
    assert block_with(doc, "manager").text == "- Accord du manager requis"
    grid = block_with(doc, "Ancienneté")
    assert grid.kind == "table"
    assert grid.table_header == "Ancienneté | Jours"
    assert grid.text == "Ancienneté | Jours\n1 an | 25\n5 ans | 27"
    assert grid.heading_path == ("Guide RH", "Congés", "Télétravail")
    assert block_with(doc, "obligatoire").heading_path == ("Guide RH", "Mutuelle")
    assert texts(doc).index(grid.text) < texts(doc).index("La mutuelle est obligatoire.")


def test_docx_heading_named_titre_counts_as_heading(tmp_path: Path) -> None:
    document = docx.Document()
    styles = document.styles
    custom = styles.add_style("Titre 1", 1)  # WD_STYLE_TYPE.PARAGRAPH, as a French template names it
    document.add_paragraph("Organisation", style=custom)
    document.add_paragraph("Le comité se réunit chaque trimestre.")
    path = tmp_path / "organisation_interne.docx"
    document.save(str(path))
    doc = load(path)
    assert doc.title == "organisation interne"
    assert doc.blocks[0].heading_path == ("organisation interne", "Organisation")


def test_empty_docx_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "vide.docx"
    docx.Document().save(str(path))
    with pytest.raises(EmptyFile, match="the document is empty"):
        load(path)


def test_docx_that_is_not_a_zip_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "ancien.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)  # an old binary .doc
    with pytest.raises(CorruptFile, match=r"not a valid \.docx"):
        load(path)
