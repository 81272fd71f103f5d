"""A one-sentence summary of a query result, in the question's language, from the result alone (no LLM)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sourcier.sql._execute import Cell, SqlResult

_PLAIN_COLUMNS = ("annee", "year", "id")


def format_cell(value: Cell, language: str = "fr", *, column: str = "") -> str:
    """A cell as a person reads it: thousands separated (not in years and ids), French decimal comma, ISO dates."""
    if isinstance(value, int) and not isinstance(value, bool) and column.lower().endswith(_PLAIN_COLUMNS):
        return str(value)
    if value is None:
        return "—"
    if isinstance(value, bool):
        return ("oui" if value else "non") if language == "fr" else ("yes" if value else "no")
    if isinstance(value, int | float | Decimal):
        fraction = isinstance(value, float | Decimal) and value != int(value)
        text = f"{value:,.2f}" if fraction else f"{int(value):,}"
        if language == "fr":
            text = text.replace(",", "\u202f").replace(".", ",")
        return text
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return str(value)


def _label(column: str) -> str:
    return column.replace("_", " ")


def _pairs(columns: tuple[str, ...], row: tuple[Cell, ...], language: str) -> str:
    sep = " : " if language == "fr" else ": "
    return ", ".join(
        f"{_label(c)}{sep}{format_cell(v, language, column=c)}" for c, v in zip(columns, row, strict=False)
    )


def summarise(result: SqlResult, *, language: str = "fr") -> str:
    """"3 lignes ; en tête : région : Île-de-France, chiffre d'affaires : 1 234,50." and the like."""
    fr = language != "en"
    n = len(result.rows)
    cut = ""
    if result.truncated:
        cut = (f" (résultat tronqué : seules les {n} premières lignes sont montrées)" if fr
               else f" (result truncated: only the first {n} rows are shown)")
    if n == 0:
        return "Aucune ligne ne correspond à cette question." if fr else "No row matches this question."
    if n == 1:
        lead = "Résultat" if fr else "Result"
        return f"{lead}{' : ' if fr else ': '}{_pairs(result.columns, result.rows[0], language)}.{cut}"
    first, last = result.rows[0], result.rows[-1]
    span = ""
    if result.columns and result.columns[0] in ("annee", "year"):
        a, b = (format_cell(r[0], language, column=result.columns[0]) for r in (first, last))
        span = f", de {a} à {b}" if fr else f", from {a} to {b}"
    if fr:
        head = "première ligne" if span else "en tête"
        return f"{n} lignes{span} ; {head} : {_pairs(result.columns, first, language)}.{cut}"
    return f"{n} rows{span}; first: {_pairs(result.columns, first, language)}.{cut}"
