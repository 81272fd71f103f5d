"""PowerPoint loader (sourcier/ingest/_pptx.py): a section and a page per slide, tables and notes kept."""

from __future__ import annotations

from pathlib import Path

import pptx
from pptx.util import Cm

from tests.ingest.conftest import block_with, load, texts


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
