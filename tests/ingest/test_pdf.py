"""PDF loader (sourcier/ingest/_pdf.py): pages kept for citations, wrapped lines rejoined, damage refused."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest
from fpdf import FPDF

from sourcier.errors import CorruptFile, EmptyFile
from tests.ingest.conftest import block_with, load


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
