"""Spreadsheet and CSV loaders (sourcier/ingest/_sheet.py): one table per sheet, cells as a person reads them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]

from tests.ingest.conftest import load


def test_xlsx_gives_one_table_per_sheet_with_readable_values(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Effectifs"
    sheet.append(["Effectifs au 1er janvier 2026"])  # a title line above the table, as sheets often have
    sheet.append([])
    sheet.append(["Service", None, "Effectif", "Taux", "Depuis", "Budget"])
    sheet.append(["Comptabilité", None, 12, 0.15, datetime(2024, 3, 1), 1250.5])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["Paie", None, 3.0, 0.5, datetime(2023, 9, 15, 14, 30), 800])
    for row in (4, 6):
        sheet.cell(row=row, column=4).number_format = "0%"
    workbook.create_sheet("Vide")
    path = tmp_path / "effectifs_2024.xlsx"
    workbook.save(str(path))

    doc = load(path)
    assert doc.mime_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert len(doc.blocks) == 2  # the empty sheet gives nothing
    caption, table = doc.blocks
    assert (caption.kind, caption.text) == ("text", "Effectifs au 1er janvier 2026")
    assert caption.heading_path == ("effectifs 2024", "Effectifs")
    assert table.kind == "table"
    assert table.heading_path == ("effectifs 2024", "Effectifs")
    assert table.table_header == "Service | Effectif | Taux | Depuis | Budget"
    assert table.text.split("\n") == [
        "Service | Effectif | Taux | Depuis | Budget",
        "Comptabilité | 12 | 15% | 2024-03-01 | 1250.5",
        "Paie | 3 | 50% | 2023-09-15 14:30 | 800",
    ]


def test_csv_with_semicolons_in_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "notes_de_frais.csv"
    content = "Nom;Prénom;Montant\r\nDupré;Hélène;12,50\r\n;;\r\nLefèvre;Jérôme;7,80\r\n"
    path.write_bytes(content.encode("cp1252"))
    (table,) = load(path).blocks
    assert table.table_header == "Nom | Prénom | Montant"
    assert table.text == "Nom | Prénom | Montant\nDupré | Hélène | 12,50\nLefèvre | Jérôme | 7,80"
