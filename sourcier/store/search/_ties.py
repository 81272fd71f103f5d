"""Ties in a ranking are broken by what the passages are, never by their ids.

Ids are opaque (a keyed permutation of a counter, migration 0014): their order is arbitrary, and it
differs between two indexes that hold the same readable documents, one with documents the caller may not
read and one without. Ordering equal scores by id would then let the hidden documents' existence change
which of two equal passages a user is shown first, or at all at a leg's cut-off (the leak suite compares
exactly that). So ties go to the passage's document path, then its uri inside the source, then its
position in the document; the id comes last, only for two passages equal in all three (two sources
naming the same path and uri). The fused order puts the passage's coverage of the question before
those (`FETCH_ORDER`): like the scores, it comes from the readable documents alone.

The key is read only for rows that share their score with another row: a lookup of the passage and of
its document by primary key each, skipped for every other row (a one-time filter in the plan).
"""

from __future__ import annotations

# The content key, as columns of the `k` subquery `by_content` joins (and of `chunks AS c`, `documents
# AS d` in the fetch of `_fusion`): the same order in both places.
CONTENT_ORDER = "k.path, k.uri, k.position"
# Fusion ties go first to the passage holding more of the question's words (its coverage, from the
# visible documents' statistics like every score): min-max fusion of two short candidate lists ties a
# passage first in one leg only with one first in full text and last in vectors, and the one that
# names what was asked is the one the answerer can use (its relevance rule reads the same coverage).
FETCH_ORDER = "coalesce(fz.coverage, 0) DESC, d.path, d.uri, c.position, c.id"


def by_content(name: str, source: str, columns: str, score: str, *, descending: bool) -> str:
    """A CTE `name`: the rows of `source` (a table expression with `chunk_id` and the `score` column)
    with `columns` kept, each with its place `ord` (1, 2, ...) by score, equal scores by content, and
    only the first `%(candidates)s`. `source` must hold every row tied with the last one it keeps
    (`FETCH FIRST ... WITH TIES`): which of those stay is decided here."""
    direction = " DESC" if descending else ""
    return f"""
{name} AS MATERIALIZED (
    SELECT {columns}, row_number() OVER (ORDER BY t.{score}{direction}, {CONTENT_ORDER}, t.chunk_id) AS ord
    FROM (SELECT *, count(*) OVER (PARTITION BY {score}) > 1 AS tied FROM {source}) AS t
    LEFT JOIN LATERAL (
        SELECT d.path, d.uri, c.position
        FROM chunks AS c JOIN documents AS d ON d.id = c.document_id
        WHERE t.tied AND c.id = t.chunk_id
        OFFSET 0
    ) AS k ON true
    ORDER BY ord
    LIMIT %(candidates)s
)"""
