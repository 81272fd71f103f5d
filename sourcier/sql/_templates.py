"""A template engine that writes SQL for a few question shapes, without any LLM.

It covers: counts ("combien de clients en 2024 ?"), a measure in total, by group or by year ("chiffre d'affaires
2024 par région", "nombre de commandes par an"), and top-N ("top 5 des produits par chiffre d'affaires"). It only
knows the words the catalogue gives it (table and column synonyms, measures) plus a small list of tool words; a
question with any other word gets None ("Je ne sais pas") rather than a guess that ignores part of it. Nothing
from the question is copied into the SQL except integers (a year, the N of a top-N).
"""

from __future__ import annotations

import re
import unicodedata
from collections import deque
from dataclasses import dataclass, field

from sourcier.sql._catalogue import Catalogue, CatalogueTable, Measure

_COUNT = ("combien", "nombre", "nb", "how many", "count", "compter", "compte")
_BY = ("par", "by", "per", "pour chaque", "selon", "suivant", "for each", "for every")
_YEAR_GRAIN = (
    "par an", "par annee", "par annees", "chaque annee", "annee par annee", "d annee en annee", "par exercice",
    "annuel", "annuelle", "annuels", "by year", "per year", "each year", "yearly", "annual", "year by year",
)
_TOP = (
    "top", "meilleurs", "meilleures", "premiers", "premieres", "plus gros", "plus grosses", "plus grands",
    "plus grandes", "principaux", "principales", "best", "biggest", "largest", "top ranked",
)
_TOP_ONE = ("meilleur", "meilleure", "plus gros", "plus grosse", "premier", "premiere", "best", "biggest", "largest")
_STOP = frozenset(
    """
    quel quelle quels quelles qui que quoi est sont etait etaient a ai as avons avez ont eu le la les l un une des
    de du d en au aux sur pour dans on nous vous y il ils elle elles ce cet cette ces c qu ete plait
    donne donnez donner moi affiche afficher liste lister montre montrer indique indiquer calcule calculer
    total totale totaux global globale overall tous toutes tout chez avec et ou nos notre votre vos leur leurs
    the of in for what which is are was were me show give list tell how much many did do does our we have has
    all during pendant sur annee year exercice au cours
    passe passees passes commande achete vendu vendus vendue vendues realise realisee genere
    fait faites ordered placed bought sold made generated
    s il vous plait please svp merci thanks
    """.split()
)
_MAX_TOP = 1000


@dataclass(slots=True)
class _Parse:
    years: list[int] = field(default_factory=list)
    top: int | None = None
    count: bool = False
    year_grain: bool = False
    measure: Measure | None = None
    # mentions in question order: ("by"|"top"|"count"|None, table, column or None)
    mentions: list[tuple[str | None, CatalogueTable, str | None]] = field(default_factory=list)


def normalise(text: str) -> list[str]:
    """Lower case, accents and punctuation removed, split into words."""
    t = unicodedata.normalize("NFKD", text.lower())
    t = "".join(c for c in t if not unicodedata.combining(c))
    t = re.sub(r"[^a-z0-9]+", " ", t)
    return t.split()


def _slug(text: str) -> str:
    return "_".join(normalise(text)) or "valeur"


class TemplateSqlGenerator:
    """The generator used when no LLM is configured: honest about the few shapes it knows."""

    def generate(self, question: str, catalogue: Catalogue) -> str | None:
        parsed = self._parse(question, catalogue)
        if parsed is None:
            return None
        return self._build(parsed, catalogue)

    # -- reading the question ----------------------------------------------------------------------------------

    def _parse(self, question: str, catalogue: Catalogue) -> _Parse | None:
        words = normalise(question)
        if not words:
            return None
        used = [False] * len(words)
        p = _Parse()

        for i, w in enumerate(words):
            if re.fullmatch(r"(19|20)\d\d", w):
                p.years.append(int(w))
                used[i] = True
        if len(set(p.years)) > 1:
            return None  # ranges and comparisons are not among the shapes

        # (phrase words, kind, payload), longest phrases first
        vocab: list[tuple[list[str], str, object]] = []
        for m in catalogue.measures:
            vocab += [(normalise(s), "measure", m) for s in (m.name, *m.synonyms)]
        for t in catalogue.tables:
            vocab += [(normalise(s), "table", (t, None)) for s in t.synonyms]
            for c in t.columns:
                vocab += [(normalise(s), "table", (t, c.name)) for s in c.synonyms]
        vocab += [(normalise(s), "grain", None) for s in _YEAR_GRAIN]
        vocab += [(normalise(s), "count", None) for s in _COUNT]
        vocab += [(normalise(s), "by", None) for s in _BY]
        vocab += [(normalise(s), "top", None) for s in _TOP]
        vocab += [(normalise(s), "top1", None) for s in _TOP_ONE]
        vocab.sort(key=lambda v: -len(v[0]))

        found: list[tuple[int, str, object]] = []
        for phrase, kind, payload in vocab:
            n = len(phrase)
            for i in range(len(words) - n + 1):
                if words[i : i + n] == phrase and not any(used[i : i + n]):
                    used[i : i + n] = [True] * n
                    found.append((i, kind, payload))
        found.sort(key=lambda f: f[0])

        for i, w in enumerate(words):
            if used[i]:
                continue
            if w.isdigit() and 0 < int(w) <= _MAX_TOP and p.top is None and self._near_top(found, i):
                p.top = int(w)
                used[i] = True
            elif w in _STOP:
                used[i] = True
        if not all(used):
            return None

        pending: str | None = None
        for _, kind, payload in found:
            if kind == "measure":
                if p.measure is not None and p.measure is not payload:
                    return None  # two measures: not a shape we know
                assert isinstance(payload, Measure)
                p.measure = payload
                pending = None
            elif kind == "grain":
                p.year_grain = True
                pending = None
            elif kind in ("count", "by", "top"):
                p.count = p.count or kind == "count"
                if kind == "top" and p.top is None:
                    p.top = 10
                pending = kind
            elif kind == "top1":
                p.top = p.top or 1
                pending = "top"
            else:
                assert isinstance(payload, tuple)
                table, column = payload
                p.mentions.append((pending, table, column))
                pending = None
        return p

    @staticmethod
    def _near_top(found: list[tuple[int, str, object]], i: int) -> bool:
        """A number counts as the N of a top-N when a top word sits right before or after it."""
        return any(kind in ("top", "top1") and abs(pos - i) <= 2 for pos, kind, _ in found)

    # -- writing the SQL ---------------------------------------------------------------------------------------

    def _build(self, p: _Parse, catalogue: Catalogue) -> str | None:
        groups = [(t, c) for role, t, c in p.mentions if role in ("by", "top")]
        subject = next(((t, c) for role, t, c in p.mentions if role == "count" and c is None), None)
        if p.top is not None and not groups:
            groups = [(t, c) for role, t, c in p.mentions if role is None and (t, c) != subject][:1]
        if len(groups) > 2:
            return None

        if p.measure is not None:
            base = catalogue.table(p.measure.table)
            aggregate, alias, distinct_safe = p.measure.expression, p.measure.alias, _is_distinct_count(p.measure)
        elif subject is not None and p.count:
            base = subject[0]
            if base.key is None:
                return None
            aggregate = f"COUNT(DISTINCT {base.name}.{base.key})"
            alias = f"nombre_{_slug(base.synonyms[0])}s" if base.synonyms else f"nombre_{base.name}"
            distinct_safe = True
        elif p.top is not None and catalogue.default_measure is not None:
            measure = next(m for m in catalogue.measures if m.name == catalogue.default_measure)
            base = catalogue.table(measure.table)
            aggregate, alias, distinct_safe = measure.expression, measure.alias, _is_distinct_count(measure)
        else:
            return None
        if base is None:
            return None

        select: list[str] = []
        group_by: list[str] = []
        needed = {base.qualified}
        for table, column in groups:
            needed.add(table.qualified)
            if column is not None:
                select.append(f"{table.name}.{column} AS {column}")
                group_by.append(f"{table.name}.{column}")
            elif table.label is not None and table.key is not None:
                select.append(f"{table.name}.{table.label} AS {table.alias or table.name}")
                group_by += [f"{table.name}.{table.key}", f"{table.name}.{table.label}"]
            else:
                return None

        where: list[str] = []
        date_table: CatalogueTable | None = None
        if p.years or p.year_grain:
            date_table = _nearest_dated(catalogue, base)
            if date_table is None:
                return None
            needed.add(date_table.qualified)
            column = f"{date_table.name}.{date_table.date}"
            if p.years:
                y = p.years[0]
                where.append(f"{column} >= DATE '{y:04d}-01-01' AND {column} < DATE '{y + 1:04d}-01-01'")
            if p.year_grain:
                select.append(f"CAST(EXTRACT(YEAR FROM {column}) AS INTEGER) AS annee")
                group_by.append(f"CAST(EXTRACT(YEAR FROM {column}) AS INTEGER)")

        joins = _join_path(catalogue, base, needed)
        if joins is None:
            return None
        clauses, fans_out = joins
        if fans_out and not distinct_safe:
            return None  # a sum over a one-to-many join would count rows twice

        select.append(f"{aggregate} AS {alias}")
        sql = [f"SELECT {', '.join(select)}", f"FROM {base.qualified}", *clauses]
        if where:
            sql.append("WHERE " + " AND ".join(where))
        if group_by:
            sql.append("GROUP BY " + ", ".join(group_by))
        if p.top is not None:
            sql.append(f"ORDER BY {alias} DESC")
            sql.append(f"LIMIT {p.top}")
        elif p.year_grain:
            sql.append("ORDER BY " + ", ".join([*(g.split(" AS ")[1] for g in select[: len(groups)]), "annee"]))
        elif groups:
            sql.append(f"ORDER BY {alias} DESC")
        return "\n".join(sql)


def _is_distinct_count(measure: Measure) -> bool:
    return bool(re.fullmatch(r"COUNT\(DISTINCT [a-z_.]+\)", measure.expression.strip(), re.IGNORECASE))


# Foreign keys of the catalogue as an undirected graph: table -> [(other, join condition, goes to the "many" side)]
def _edges(catalogue: Catalogue) -> dict[str, list[tuple[str, str, bool]]]:
    graph: dict[str, list[tuple[str, str, bool]]] = {t.qualified: [] for t in catalogue.tables}
    for t in catalogue.tables:
        for c in t.columns:
            if c.references is None:
                continue
            target, target_col = c.references.rsplit(".", 1)
            other = catalogue.table(target)
            if other is None:
                continue
            on = f"{other.name}.{target_col} = {t.name}.{c.name}"
            graph[t.qualified].append((other.qualified, on, False))
            graph[other.qualified].append((t.qualified, on, True))
    return graph


def _nearest_dated(catalogue: Catalogue, base: CatalogueTable) -> CatalogueTable | None:
    graph = _edges(catalogue)
    seen, queue = {base.qualified}, deque([base.qualified])
    while queue:
        current = catalogue.table(queue.popleft())
        if current is None:
            continue
        if current.date is not None:
            return current
        for other, _, _ in graph[current.qualified]:
            if other not in seen:
                seen.add(other)
                queue.append(other)
    return None


def _join_path(catalogue: Catalogue, base: CatalogueTable, needed: set[str]) -> tuple[list[str], bool] | None:
    """JOIN clauses reaching every needed table from `base` along shortest foreign-key paths."""
    graph = _edges(catalogue)
    parent: dict[str, tuple[str, str, bool] | None] = {base.qualified: None}
    order: list[str] = [base.qualified]
    queue = deque([base.qualified])
    while queue:
        current = queue.popleft()
        for other, on, many in graph[current]:
            if other not in parent:
                parent[other] = (current, on, many)
                order.append(other)
                queue.append(other)
    if not needed <= parent.keys():
        return None
    keep: set[str] = set()
    for table in needed:
        while table != base.qualified and table not in keep:
            keep.add(table)
            step = parent[table]
            assert step is not None
            table = step[0]
    clauses: list[str] = []
    fans_out = False
    for table in order:
        step = parent[table]
        if table in keep and step is not None:
            clauses.append(f"JOIN {table} ON {step[1]}")
            fans_out = fans_out or step[2]
    return clauses, fans_out
