"""Loaders, one generated file per case: structure kept, failures turned into IngestErrors."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path

import docx
import openpyxl  # type: ignore[import-untyped]
import pptx
import pypdf
import pytest
from fpdf import FPDF
from pptx.util import Cm

from sourcier.errors import CorruptFile, EmptyFile, FileTooLarge, IngestError, UnsupportedFile
from sourcier.ingest._load import SUPPORTED_SUFFIXES, is_supported, load_file
from sourcier.types import Block, ParsedDocument

CAP = 10 * 1024 * 1024


def load(path: Path) -> ParsedDocument:
    return load_file(path, max_bytes=CAP)


def texts(doc: ParsedDocument) -> list[str]:
    return [b.text for b in doc.blocks]


def block_with(doc: ParsedDocument, needle: str) -> Block:
    return next(b for b in doc.blocks if needle in b.text)


# -- PDF ---------------------------------------------------------------------------------------------------


def write_pdf(path: Path, pages: list[str], *, title: str | None = None) -> Path:
    pdf = FPDF()
    if title is not None:
        pdf.set_title(title)
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def test_pdf_gives_one_page_number_per_page_and_rejoins_wrapped_lines(tmp_path: Path) -> None:
    long_sentence = (
        "Le salarié bénéficie de deux jours et demi ouvrables par mois de travail effectif, "
        "soit trente jours ouvrables par an pour une année complète de référence."
    )
    path = write_pdf(
        tmp_path / "guide.pdf",
        [f"Congés payés\n{long_sentence}", "La mutuelle d'entreprise est obli-\ngatoire pour tous."],
        title="Guide RH",
    )
    doc = load(path)
    assert doc.title == "Guide RH"
    assert doc.mime_type == "application/pdf"
    assert doc.page_count == 2
    assert {b.page for b in doc.blocks} == {1, 2}
    assert all(b.heading_path == ("Guide RH",) for b in doc.blocks)
    assert long_sentence in block_with(doc, "bénéficie").text
    assert block_with(doc, "mutuelle").page == 2
    assert "obligatoire" in block_with(doc, "mutuelle").text


def test_pdf_without_metadata_title_is_named_after_the_file(tmp_path: Path) -> None:
    doc = load(write_pdf(tmp_path / "note_de-service.pdf", ["Fermeture du site le vendredi 15 août."]))
    assert doc.title == "note de service"


def test_truncated_pdf_is_corrupt(tmp_path: Path) -> None:
    whole = write_pdf(tmp_path / "whole.pdf", ["Règlement intérieur."]).read_bytes()
    path = tmp_path / "tronque.pdf"
    path.write_bytes(whole[: len(whole) // 3])
    with pytest.raises(CorruptFile, match="damaged PDF"):
        load(path)


def test_encrypted_pdf_is_refused_with_a_clear_reason(tmp_path: Path) -> None:
    plain = write_pdf(tmp_path / "clair.pdf", ["Grille des salaires confidentielle."])
    writer = pypdf.PdfWriter(clone_from=str(plain))
    writer.encrypt("secret")
    path = tmp_path / "salaires.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    with pytest.raises(CorruptFile, match="encrypted PDF: password-protected files are not supported"):
        load(path)


def test_pdf_with_only_drawings_has_no_text_layer(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 80, 40, style="F")
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    with pytest.raises(EmptyFile, match="no text layer"):
        load(path)


# -- DOCX --------------------------------------------------------------------------------------------------


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


# -- PPTX --------------------------------------------------------------------------------------------------


def test_pptx_gives_a_section_and_page_per_slide_with_tables_and_notes(tmp_path: Path) -> None:
    deck = pptx.Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[1])
    assert first.shapes.title is not None
    first.shapes.title.text = "Présentation RH"
    first.placeholders[1].text_frame.text = "Bienvenue à l'équipe."
    second = deck.slides.add_slide(deck.slide_layouts[5])  # title only
    assert second.shapes.title is not None
    second.shapes.title.text = "Mutuelle"
    grid = second.shapes.add_table(3, 2, Cm(2), Cm(5), Cm(12), Cm(4)).table
    for r, values in enumerate([("Formule", "Cotisation"), ("Base", "30 €"), ("Renfort", "45 €")]):
        for c, value in enumerate(values):
            grid.cell(r, c).text = value
    notes_frame = second.notes_slide.notes_text_frame
    assert notes_frame is not None
    notes_frame.text = "Rappeler la date limite d'adhésion."
    third = deck.slides.add_slide(deck.slide_layouts[6])  # blank: no title
    third.shapes.add_textbox(Cm(2), Cm(2), Cm(10), Cm(2)).text_frame.text = "Questions ?"
    path = tmp_path / "deck.pptx"
    deck.save(str(path))

    doc = load(path)
    assert doc.title == "Présentation RH"
    assert doc.page_count == 3
    welcome = block_with(doc, "Bienvenue")
    assert (welcome.page, welcome.heading_path) == (1, ("Présentation RH",))
    table = block_with(doc, "Formule")
    assert (table.kind, table.page, table.table_header) == ("table", 2, "Formule | Cotisation")
    assert table.text == "Formule | Cotisation\nBase | 30 €\nRenfort | 45 €"
    assert table.heading_path == ("Présentation RH", "Mutuelle")
    notes = block_with(doc, "date limite")
    assert notes.text == "Notes : Rappeler la date limite d'adhésion."
    assert notes.page == 2
    assert block_with(doc, "Questions").heading_path == ("Présentation RH", "Diapositive 3")
    assert "Mutuelle" not in texts(doc)  # slide titles are headings, not body text


# -- spreadsheets ------------------------------------------------------------------------------------------


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


# -- HTML and Markdown -------------------------------------------------------------------------------------


HTML_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Guide RH</title>
<style>.menu { color: red }</style><script>var secret = "jeton";</script></head>
<body>
<header><a href="/">Accueil intranet</a></header>
<nav><ul><li>Plan du site</li></ul></nav>
<main>
  <h1>Guide RH</h1>
  <p>Ce guide   présente
     les règles.</p>
  <h2>Congés</h2>
  <p>Les congés payés <strong>se posent</strong> dans l'outil.<br>Délai : un mois.</p>
  <ul><li>Congés payés<ul><li>Cinq semaines</li></ul></li><li>RTT</li></ul>
  <h3>Barème</h3>
  <table><tr><th>Ancienneté</th><th>Jours</th></tr><tr><td>1 an</td><td>25</td></tr></table>
  <div>Texte libre hors paragraphe.</div>
  <h2>Mutuelle</h2>
  <pre>Formule   Base
Formule   Renfort</pre>
</main>
<aside>Actualités</aside>
<footer>Mentions légales</footer>
</body></html>
"""


def test_html_keeps_the_main_content_under_its_headings(tmp_path: Path) -> None:
    path = tmp_path / "guide.html"
    path.write_text(HTML_PAGE, encoding="utf-8")
    doc = load(path)
    body = "\n".join(texts(doc))
    for dropped in ("Accueil intranet", "Plan du site", "jeton", "color", "Actualités", "Mentions légales"):
        assert dropped not in body
    assert doc.title == "Guide RH"
    assert doc.mime_type == "text/html"
    assert texts(doc)[0] == "Ce guide présente les règles."
    assert doc.blocks[0].heading_path == ("Guide RH",)
    assert block_with(doc, "outil").text == "Les congés payés se posent dans l'outil.\nDélai : un mois."
    assert block_with(doc, "outil").heading_path == ("Guide RH", "Congés")
    assert "- Congés payés" in texts(doc)
    assert "- Cinq semaines" in texts(doc)
    table = block_with(doc, "Ancienneté")
    assert (table.kind, table.table_header) == ("table", "Ancienneté | Jours")
    assert table.heading_path == ("Guide RH", "Congés", "Barème")
    assert block_with(doc, "Texte libre").heading_path == ("Guide RH", "Congés", "Barème")
    assert block_with(doc, "Renfort").text == "Formule   Base\nFormule   Renfort"
    assert block_with(doc, "Renfort").heading_path == ("Guide RH", "Mutuelle")


def test_html_in_latin_1_declared_by_meta_charset(tmp_path: Path) -> None:
    path = tmp_path / "page.htm"
    page = '<html><head><meta charset="iso-8859-1"></head><body><p>Congés payés à poser.</p></body></html>'
    path.write_bytes(page.encode("latin-1"))
    doc = load(path)
    assert texts(doc) == ["Congés payés à poser."]
    assert doc.title == "page"


MARKDOWN = """---
auteur: DRH
---
# Guide RH

Ce guide présente les **règles** du [service](https://intranet/rh).

## Congés

- Congés payés
- RTT

### Télétravail

```
demande --type teletravail
```

| Jour | Présence |
|------|----------|
| Lundi | Site |
| Mardi | Domicile |
"""


def test_markdown_headings_lists_code_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "guide.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    doc = load(path)
    assert doc.title == "Guide RH"
    assert doc.mime_type == "text/markdown"
    assert "DRH" not in "\n".join(texts(doc))  # front matter ignored
    assert texts(doc)[0] == "Ce guide présente les règles du service."
    assert doc.blocks[0].heading_path == ("Guide RH",)
    assert block_with(doc, "RTT").text == "- RTT"
    assert block_with(doc, "RTT").heading_path == ("Guide RH", "Congés")
    assert block_with(doc, "demande").text == "demande --type teletravail"
    table = block_with(doc, "Lundi")
    assert table.kind == "table"
    assert table.text == "Jour | Présence\nLundi | Site\nMardi | Domicile"
    assert table.heading_path == ("Guide RH", "Congés", "Télétravail")


# -- plain text and encodings ------------------------------------------------------------------------------


def test_latin_1_text_keeps_its_accents(tmp_path: Path) -> None:
    path = tmp_path / "conges.txt"
    path.write_bytes("Les congés payés\n\nSont acquis chaque mois. Noël à la fête.".encode("latin-1"))
    doc = load(path)
    assert texts(doc) == ["Les congés payés", "Sont acquis chaque mois. Noël à la fête."]
    assert doc.blocks[0].heading_path == ("conges",)
    assert doc.mime_type == "text/plain"


def test_short_latin_1_text_is_not_mistaken_for_another_code_page(tmp_path: Path) -> None:
    path = tmp_path / "court.txt"
    path.write_bytes("été".encode("latin-1"))
    assert texts(load(path)) == ["été"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "utf-16-le"])
def test_unicode_text_with_or_without_bom(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "memo.text"
    path.write_bytes("Réunion du comité d'entreprise\r\n\r\nOrdre du jour : œuvres sociales".encode(encoding))
    assert texts(load(path)) == ["Réunion du comité d'entreprise", "Ordre du jour : œuvres sociales"]


def test_whitespace_only_text_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "blanc.txt"
    path.write_text(" \n\n\t \n", encoding="utf-8")
    with pytest.raises(EmptyFile):
        load(path)


def test_binary_data_in_a_text_file_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 20)
    with pytest.raises(CorruptFile, match="not text"):
        load(path)


# -- dispatch, size and errors -----------------------------------------------------------------------------


def test_file_over_the_cap_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "gros.pdf"
    path.write_bytes(b"x" * (3 * 1024 * 1024))  # not even a PDF: the size check comes first
    with pytest.raises(FileTooLarge, match=r"is 3 MB, over the 2 MB limit") as caught:
        load_file(path, max_bytes=2 * 1024 * 1024)
    assert caught.value.hint == "raise SOURCIER_MAX_FILE_MB"


def test_unknown_suffix_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "archive.xyz"
    path.write_bytes(b"data")
    with pytest.raises(UnsupportedFile, match=r"\.xyz"):
        load(path)


def test_unreadable_path_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "dossier.txt"
    path.mkdir()
    with pytest.raises(CorruptFile, match="cannot read file"):
        load(path)


@pytest.mark.parametrize("suffix", sorted(SUPPORTED_SUFFIXES))
def test_garbage_never_escapes_as_a_library_error(tmp_path: Path, suffix: str) -> None:
    rng = random.Random(suffix)
    path = tmp_path / f"garbage{suffix}"
    path.write_bytes(b"\x00" + bytes(rng.randrange(256) for _ in range(4096)))
    with pytest.raises(IngestError):
        load(path)


def test_suffix_matching_ignores_case_and_skips_office_lock_files() -> None:
    assert is_supported(Path("Rapport.PDF"))
    assert is_supported(Path("notes.Markdown"))
    assert not is_supported(Path("~$rapport.docx"))
    assert not is_supported(Path("setup.exe"))
