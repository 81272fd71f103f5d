"""The vector leg: an exact scan of the readable passages for a small audience, HNSW for a larger one.

The HNSW candidate list (`hnsw.ef_search`) is set per audience with the reader's settings
(`_reader.searching_reader`, `SearchParams.ef_search`); the threshold is `SearchParams.exact_below`.
"""

from __future__ import annotations

from functools import cache

from ._reader import VISIBLE_IDS

# Two plans, one of which runs (the other's one-time filter is false, so it is never executed):
# * few readable passages: an exact scan of those passages, found through their visible documents (a
#   passage's access list is its document's, written in the same transaction, and row-level security
#   checks the passage's own list again: a third check per passage cost ~2 ms at 10k). The
#   `OFFSET 0` fence keeps the planner off the HNSW index (whose filtered walk would visit ~100x more
#   nodes) and lets the sort use the distance computed once per passage: the former `ORDER BY
#   distance + 0` computed it twice (10% readable of 100k: 10,000 distances less, ~1-5 ms p50);
# * otherwise HNSW with iterative scans, filtered inside the scan, in relaxed order: materialise, re-sort.
_LEG = """
vec AS MATERIALIZED (
    (SELECT e.chunk_id, e.distance FROM (
        SELECT c.id AS chunk_id, c.embedding::vector({dim}) <=> %(qvec)s::vector({dim}) AS distance
        FROM chunks AS c
        WHERE (SELECT readable FROM stats) < %(exact_below)s
          AND c.document_id = ANY ({visible_ids})
          AND c.embedding_dim = {dim} AND c.embedding_model = %(model)s
        OFFSET 0
     ) AS e
     ORDER BY e.distance, e.chunk_id
     LIMIT %(candidates)s)
    UNION ALL
    (SELECT c.id AS chunk_id, c.embedding::vector({dim}) <=> %(qvec)s::vector({dim}) AS distance
     FROM chunks AS c
     WHERE (SELECT readable FROM stats) >= %(exact_below)s
       AND c.embedding_dim = {dim} AND c.embedding_model = %(model)s AND c.acl && %(principals)s::text[]
     ORDER BY c.embedding::vector({dim}) <=> %(qvec)s::vector({dim})
     LIMIT %(candidates)s)
)"""


@cache
def vector_leg(dim: int) -> str:
    """The CTE `vec` (chunk_id, distance: the top `candidates`) for a model of `dim` dimensions, over
    `stats` and `visible` (`_reader.VISIBLE`)."""
    return _LEG.format(dim=int(dim), visible_ids=VISIBLE_IDS)
