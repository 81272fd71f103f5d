"""HTML loader (sourcier/ingest/_html.py): the main content under its headings, page furniture dropped."""

from __future__ import annotations

from pathlib import Path

from tests.ingest.conftest import block_with, load, texts

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
