"""Routing a question to the documents or to the warehouse: a keyword and catalogue-match rule.

A question goes to the warehouse when the template engine can write SQL for it, or when it asks for a figure
("combien", "total", "top", a measure) about something the catalogue names. Everything else goes to documents.
"""

from __future__ import annotations

from typing import Literal

from sourcier.sql._catalogue import Catalogue
from sourcier.sql._templates import TemplateSqlGenerator, normalise

Route = Literal["documents", "warehouse"]

_FIGURE_WORDS = frozenset(
    "combien nombre total totale somme moyenne moyen top classement evolution how many much count sum average".split()
)


def route(question: str, catalogue: Catalogue) -> Route:
    if TemplateSqlGenerator().generate(question, catalogue) is not None:
        return "warehouse"
    words = normalise(question)
    text = f" {' '.join(words)} "
    names = [s for t in catalogue.tables for s in t.synonyms] + [s for m in catalogue.measures for s in m.synonyms]
    names += [m.name for m in catalogue.measures]
    mentions = any(f" {' '.join(normalise(n))} " in text for n in names)
    measure = any(f" {' '.join(normalise(n))} " in text for m in catalogue.measures for n in (m.name, *m.synonyms))
    if mentions and (measure or not _FIGURE_WORDS.isdisjoint(words)):
        return "warehouse"
    return "documents"
