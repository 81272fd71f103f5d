"""The vector leg: an exact scan of the readable passages for a small audience, HNSW for a larger one.

The HNSW candidate list (`hnsw.ef_search`) is set per audience with the reader's settings
(`_reader.searching_reader`, `SearchParams.ef_search`); the threshold is `SearchParams.exact_below`.
"""

from __future__ import annotations

from functools import cache

from ._reader import VISIBLE_IDS
from ._ties import by_content

# Two plans, one of which runs (the other's one-time filter is false, so it is never executed):
# * few readable passages: an exact scan of those passages, found through their visible documents (a
#   passage's access list is its document's, written in the same transaction, and row-level security
#   checks the passage's own list again, so a third check would only cost time). The `OFFSET 0` fence
#   keeps the planner off the HNSW index (whose filtered walk would visit far more nodes) and lets the
#   sort use the distance computed once per passage, where `ORDER BY distance + 0` computed it twice
#   (see docs/benchmarks.md);
# * otherwise HNSW with iterative scans, filtered inside the scan, in relaxed order: materialise, re-sort.
# Content breaks ties (`_ties`), so the exact scan must hand over every passage tied with its last one.
# `FETCH FIRST ... WITH TIES` would sort every readable passage (PostgreSQL bounds no such sort; see
# docs/benchmarks.md), so the scan keeps its bounded sort of one passage more than it needs: when that one is
# farther than the last kept, no tie crosses the cut; when it is as near, the scan runs again with every
# tie (duplicated passages exactly at the cut). An HNSW walk is approximate: which of two equal passages
# it meets is the graph's doing.
_LEG = """
vec_scan AS NOT MATERIALIZED (
    SELECT c.id AS chunk_id, c.embedding::vector({dim}) <=> %(qvec)s::vector({dim}) AS distance
    FROM chunks AS c
    WHERE (SELECT readable FROM stats) < %(exact_below)s
      AND c.document_id = ANY ({visible_ids})
      AND c.embedding_dim = {dim} AND c.embedding_model = %(model)s
    OFFSET 0
),
vec_exact AS MATERIALIZED (SELECT * FROM vec_scan ORDER BY distance LIMIT %(candidates)s + 1),
vec_cut AS MATERIALIZED (
    SELECT count(*) > %(candidates)s AND max(distance) = (
               SELECT distance FROM vec_exact ORDER BY distance OFFSET %(candidates)s - 1 LIMIT 1
           ) AS crossed
    FROM vec_exact
),
vec_found AS MATERIALIZED (
    (SELECT * FROM vec_exact WHERE NOT (SELECT crossed FROM vec_cut) ORDER BY distance LIMIT %(candidates)s)
    UNION ALL
    (SELECT * FROM vec_scan WHERE (SELECT crossed FROM vec_cut)
     ORDER BY distance FETCH FIRST %(candidates)s ROWS WITH TIES)
    UNION ALL
    (SELECT c.id AS chunk_id, c.embedding::vector({dim}) <=> %(qvec)s::vector({dim}) AS distance
     FROM chunks AS c
     WHERE (SELECT readable FROM stats) >= %(exact_below)s
       AND c.embedding_dim = {dim} AND c.embedding_model = %(model)s AND c.acl && %(principals)s::text[]
     ORDER BY c.embedding::vector({dim}) <=> %(qvec)s::vector({dim})
     LIMIT %(candidates)s)
),"""


@cache
def vector_leg(dim: int) -> str:
    """The CTEs ending in `vec` (chunk_id, distance, ord: the top `candidates`) for a model of `dim`
    dimensions, over `stats` and `visible` (`_reader.VISIBLE`)."""
    ranked = by_content("vec", "vec_found", "t.chunk_id, t.distance", "distance", descending=False)
    return _LEG.format(dim=int(dim), visible_ids=VISIBLE_IDS) + ranked
