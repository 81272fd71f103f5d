"""Routing a question to the documents, to the warehouse, or to both: a keyword and catalogue-match rule.

- The template engine can write SQL for it: the warehouse (both when the question also reads like a policy or
  a plan: "quel chiffre d'affaires vise-t-on en 2026 ?").
- It asks for a figure ("combien", "total", "top", a catalogue measure) about something the catalogue names, but no
  template fits: both (the model may write the SQL; a document may hold the figure), or documents when it reads
  like a rule or a delay ("à partir de combien de commandes le transport est gratuit ?").
- Everything else: documents.
Measured on a labelled list in tests/sql/test_route.py (the examples' document questions and the warehouse
questions); `choose_route` adds what the caller forces and whether a warehouse is reachable at all.
"""

from __future__ import annotations

from sourcier.sql._catalogue import Catalogue
from sourcier.sql._templates import TemplateSqlGenerator, normalise
from sourcier.types import AskMode, Route

_FIGURE_WORDS = frozenset(
    "combien nombre total totale somme moyenne moyen top classement evolution how many much count sum average".split()
)
# Words of rules, plans and delays: the answer is written in a document, not counted in a table.
_DOCUMENT_WORDS = frozenset(
    "vise viser objectif objectifs prevision previsions budget cible target targets goal plan politique policy "
    "procedure regle regles gratuit gratuite free delai quand when doit faut droit".split()
)
_DOCUMENT_PHRASES = (" a partir de ", " combien de temps ", " how long ", " share of ", " part du ", " part des ")


def route(question: str, catalogue: Catalogue) -> Route:
    """Where a question should be answered, from its words and the catalogue the caller may read."""
    words = normalise(question)
    text = f" {' '.join(words)} "
    reads_like_document = not _DOCUMENT_WORDS.isdisjoint(words) or any(p in text for p in _DOCUMENT_PHRASES)
    if TemplateSqlGenerator().generate(question, catalogue) is not None:
        return "both" if reads_like_document else "warehouse"
    names = [s for t in catalogue.tables for s in t.synonyms] + [s for m in catalogue.measures for s in m.synonyms]
    names += [m.name for m in catalogue.measures]
    mentions = any(f" {' '.join(normalise(n))} " in text for n in names)
    measure = any(f" {' '.join(normalise(n))} " in text for m in catalogue.measures for n in (m.name, *m.synonyms))
    if mentions and (measure or not _FIGURE_WORDS.isdisjoint(words)):
        return "documents" if reads_like_document else "both"
    return "documents"


def choose_route(question: str, catalogue: Catalogue, *, reachable: bool, force: AskMode = AskMode.AUTO) -> Route:
    """The route a question takes: forced, else `route`, never the warehouse without one."""
    if force == AskMode.DOCUMENTS:
        return "documents"
    if force == AskMode.WAREHOUSE:
        return "warehouse"
    if not reachable:
        return "documents"
    return route(question, catalogue)
