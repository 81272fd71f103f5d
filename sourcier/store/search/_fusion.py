"""Fusion of the two legs' candidates and the fetch of the passages, and the statements that run.

min-max or reciprocal-rank fusion happens in SQL, so the database returns the final ranking. A search is
one statement (`statement(mode, dim, params)`), or, with a second connection, three: each leg's
candidates (`fulltext_alone`, `vector_alone`), then their fusion (`FUSE_GIVEN`). docs/sql/ shows each.
"""

from __future__ import annotations

from functools import cache

from ._fulltext import QUERY_LEXEMES, fulltext_ctes, fulltext_leg
from ._params import Mode, SearchParams
from ._reader import VISIBLE
from ._ties import FETCH_ORDER
from ._vector import vector_leg

EMPTY_FT = (
    "ft AS (SELECT NULL::bigint AS chunk_id, NULL::float8 AS score, NULL::float8 AS coverage, NULL::bigint AS ord"
    " WHERE false)"
)
EMPTY_VEC = "vec AS (SELECT NULL::bigint AS chunk_id, NULL::float8 AS distance, NULL::bigint AS ord WHERE false)"

# Each leg's candidates ranked, with the score range that min-max fusion maps to [0, 1]. A leg's rank is
# its own order (`ord`: equal scores by content, `_ties`).
RANKED = """
ft_ranked AS (
    SELECT chunk_id, score, coverage, ord AS rank, min(score) OVER () AS lo, max(score) OVER () AS hi
    FROM ft
),
vec_ranked AS (
    SELECT chunk_id, 1 - distance AS score, ord AS rank,
           min(1 - distance) OVER () AS lo, max(1 - distance) OVER () AS hi
    FROM vec
)"""

# The legs' candidates when they ran on two connections (`search(side=...)`), handed back as arrays in
# each leg's order, which is their rank.
LEGS_GIVEN = """
ft AS (
    SELECT * FROM unnest(%(ft_ids)s::bigint[], %(ft_scores)s::float8[], %(ft_coverage)s::float8[])
        WITH ORDINALITY AS t(chunk_id, score, coverage, ord)
),
vec AS (
    SELECT * FROM unnest(%(vec_ids)s::bigint[], %(vec_distances)s::float8[])
        WITH ORDINALITY AS t(chunk_id, distance, ord)
)"""

# min-max: each leg's scores mapped to [0, 1] over its candidates, then weighted (a missing leg counts 0).
# rrf: weighted reciprocal ranks, scaled by 2 so that alpha = 0.5 gives the classic sum.
# The top k, and every passage tied with the last of them, are fetched; coverage, then content, breaks
# those ties (`_ties.FETCH_ORDER`).
FUSE_AND_FETCH = f"""
fused AS (
    SELECT coalesce(f.chunk_id, v.chunk_id) AS chunk_id,
           f.rank AS fulltext_rank, f.score AS fulltext_score, f.coverage,
           v.rank AS vector_rank, v.score AS vector_similarity,
           CASE WHEN %(fusion)s = 'rrf' THEN
               2 * ((1 - %(alpha)s) * coalesce(1.0 / (%(rrf_k)s + f.rank), 0)
                    + %(alpha)s * coalesce(1.0 / (%(rrf_k)s + v.rank), 0))
           ELSE
               (1 - %(alpha)s) * CASE WHEN f.rank IS NULL THEN 0
                                      WHEN f.hi > f.lo THEN (f.score - f.lo) / (f.hi - f.lo) ELSE 1 END
               + %(alpha)s * CASE WHEN v.rank IS NULL THEN 0
                                  WHEN v.hi > v.lo THEN (v.score - v.lo) / (v.hi - v.lo) ELSE 1 END
           END AS score
    FROM ft_ranked AS f FULL JOIN vec_ranked AS v USING (chunk_id)
)
SELECT c.id AS chunk_id, c.document_id, d.path, coalesce(d.title, '') AS title, c.heading, c.text, c.page,
       c.char_start, c.char_end, fz.score::float8 AS score,
       fz.fulltext_rank::int AS fulltext_rank, fz.fulltext_score::float8 AS fulltext_score,
       fz.vector_rank::int AS vector_rank, fz.vector_similarity::float8 AS vector_similarity,
       coalesce(fz.coverage, 0)::float8 AS coverage
FROM (SELECT * FROM fused ORDER BY score DESC FETCH FIRST %(k)s ROWS WITH TIES) AS fz
-- One primary-key lookup per result: the row-level-security quals hide the sizes from the planner.
CROSS JOIN LATERAL (SELECT * FROM chunks WHERE id = fz.chunk_id) AS c
CROSS JOIN LATERAL (SELECT * FROM documents WHERE id = c.document_id) AS d
ORDER BY fz.score DESC, {FETCH_ORDER}
LIMIT %(k)s
"""


# The fusion of legs that ran on two connections (their candidates as arrays).
FUSE_GIVEN = "WITH " + ",\n".join([LEGS_GIVEN, RANKED]) + ",\n" + FUSE_AND_FETCH


def statement(mode: Mode, dim: int = 0, params: SearchParams | None = None) -> str:
    """The one statement a search of `mode` runs for a model of `dim` dimensions (unused in fulltext
    mode), given the statement-shaping fields of `params` (the defaults when None): both legs, fused,
    and the passages fetched. Its parameters are `_params.bind`'s."""
    p = params or SearchParams()
    return _statement(mode, int(dim), p.stages, p.best_of, p.probe_cost)


@cache
def _statement(mode: Mode, dim: int, stages: int, best_of: int, probe_cost: int) -> str:
    p = SearchParams(stages=stages, best_of=best_of, probe_cost=probe_cost)
    legs = [QUERY_LEXEMES, VISIBLE]
    legs.append(fulltext_leg(p) if mode != "vector" else EMPTY_FT)
    legs.append(vector_leg(dim) if mode != "fulltext" else EMPTY_VEC)
    return "WITH " + ",\n".join([*legs, RANKED]) + ",\n" + FUSE_AND_FETCH


def fulltext_alone(params: SearchParams) -> str:
    """The full-text leg's candidates (chunk_id, score, coverage) in its order, for a fusion given them."""
    return fulltext_ctes(params) + "\nSELECT chunk_id, score, coverage FROM ft ORDER BY ord"


@cache
def vector_alone(dim: int) -> str:
    """The vector leg's candidates (chunk_id, distance) in its order, on the side connection, for a fusion
    given them."""
    return "WITH " + ",\n".join([VISIBLE, vector_leg(dim)]) + "\nSELECT chunk_id, distance FROM vec ORDER BY ord"
