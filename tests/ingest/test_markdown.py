"""Markdown loader (sourcier/ingest/_markdown.py): headings, lists, code and tables; front matter ignored."""

from __future__ import annotations

from pathlib import Path

from tests.ingest.conftest import block_with, load, texts

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
