"""Retrieval SQL: a BM25 full-text leg, a pgvector leg, and their fusion, in one statement.

BM25 is computed from the postings table (`chunk_terms`) because PostgreSQL's `ts_rank` has no
inverse document frequency (measured on PIAF: ts_rank nDCG@10 0.48 against 0.79 for BM25; see
docs/benchmarks.md). Fusion happens in SQL too, so the database returns the final ranking.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from psycopg import Connection, Cursor
from psycopg.rows import class_row

from sourcier.types import PRINCIPAL_PATTERN, Hit

Mode = Literal["hybrid", "fulltext", "vector"]
Fusion = Literal["minmax", "rrf"]


@dataclass(frozen=True, slots=True)
class SearchParams:
    k: int = 5
    candidates: int = 100
    fusion: Fusion = "minmax"
    alpha: float = 0.5  # weight of the vector leg
    rrf_k: int = 60
    k1: float = 1.2
    b: float = 0.75
    heading_boost: int = 1
    # Filtered recall@10 at 100k passages, all readable (docs/benchmarks.md): 0.81 at 100, 0.93 at 200,
    # 0.97 at 400, for 12 ms p50 instead of 7.
    ef_search: int = 400
    # Below this many readable passages the vector leg scans them exactly instead of walking HNSW: a
    # filtered HNSW walk visits about (candidates / share readable) nodes, an exact scan reads each
    # readable passage once (about 2 us each since vectors are stored inline, 0009). At 100k, ms p50:
    # 1k readable exact 3.9 vs HNSW 117; 10k exact 20.9 vs 30.0 (ef_search 400); 100k exact 176 vs 7.7.
    exact_below: int = 15_000
    # Visible postings the full-text leg reads in full, rarest words first, before it prunes the
    # common words by their BM25 upper bound (exact either way: see _FULLTEXT_LEG); never more than
    # half the caller's readable passages.
    postings_budget: int = 20_000


_QUERY_LEXEMES = """
q AS (
    SELECT DISTINCT lexeme, language FROM (
        SELECT (unnest(to_tsvector('fr_unaccent'::regconfig, %(query)s))).lexeme, 'fr' AS language
        UNION ALL
        SELECT (unnest(to_tsvector('en_unaccent'::regconfig, %(query)s))).lexeme, 'en' AS language
    ) AS both_languages
)"""

# The documents the caller may read, shared by both legs: BM25 statistics come from them and the
# vector leg picks its plan from their passage count.
_VISIBLE = """
visible AS MATERIALIZED (
    SELECT id, n_chunks, n_terms FROM documents
    WHERE status = 'indexed' AND acl && %(principals)s::text[]
),
stats AS (
    SELECT greatest(sum(n_chunks), 1)::float8 AS n, coalesce(sum(n_chunks), 0) AS readable,
           greatest(sum(n_terms)::float8 / greatest(sum(n_chunks), 1), 1) AS avgdl
    FROM visible
)"""

def _bm25(idf: str, tf: str, dl: str) -> str:
    """One word's BM25 contribution to a passage, as SQL over `stats AS s` (one formula for every step)."""
    return f"{idf} * {tf} * (%(k1)s + 1) / ({tf} + %(k1)s * (1 - %(b)s + %(b)s * {dl} / s.avgdl))"


_FULLTEXT_LEG = f"""
-- Exact BM25 over the documents the caller may read: statistics and postings come from them only, so
-- scores do not depend on (and so cannot reveal) anything about documents the caller cannot see.
-- Document frequencies: one row per (word, visible document) in document_terms, not one per posting.
-- With the largest BM25 term frequency part any visible passage can give the word, from each document's
-- largest tf and shortest passage holding it (an upper bound: both need not be the same passage).
q_df AS MATERIALIZED (
    SELECT q.lexeme, q.language, d.df, coalesce(d.tf_bound, 0) AS tf_bound
    FROM q CROSS JOIN stats AS s CROSS JOIN LATERAL (
        SELECT coalesce(sum(dt.n_chunks), 0)::float8 AS df,
               max((dt.max_tf_body + %(heading_boost)s * dt.max_tf_head) * (%(k1)s + 1)
                   / ((dt.max_tf_body + %(heading_boost)s * dt.max_tf_head)
                      + %(k1)s * (1 - %(b)s + %(b)s * dt.min_dl / s.avgdl))) AS tf_bound
        FROM document_terms AS dt
        WHERE dt.lexeme = q.lexeme AND dt.language = q.language
          AND dt.document_id = ANY (ARRAY(SELECT id FROM visible))
    ) AS d
),
-- MaxScore split. Words are ordered rarest first; those whose visible postings fit in the budget (and
-- always the rarest word that has any) are "essential" and read in full. A passage holding only the
-- other, common words scores at most the sum of their upper bounds (idf * tf_bound), so when that sum
-- stays under the `candidates`-th score among passages holding an essential word, such passages cannot
-- reach the top and are never read. The budget shrinks with the audience, to half the readable passages:
-- a common word of a small audience has few postings to probe, and reading it in full anyway was most
-- of the leg's time (a tenth of 100k passages readable: p95 26 -> 12 ms; docs/benchmarks.md).
q_split AS MATERIALIZED (
    SELECT lexeme, language, df, idf, idf * tf_bound * (1 + 1e-9) AS ub,  -- margin: rounding never breaks the bound
           (sum(df) OVER w <= least(%(postings_budget)s, readable / 2) OR sum(df) OVER w = df) AS essential
    FROM (SELECT q_df.*, ln(1 + (s.n - q_df.df + 0.5) / (q_df.df + 0.5)) AS idf, s.readable
          FROM q_df CROSS JOIN stats AS s) AS x
    WINDOW w AS (ORDER BY df, lexeme, language ROWS UNBOUNDED PRECEDING)
),
-- The question's words with their IDF, per stemmer: how much of the question a passage covers.
q_total AS (SELECT language, sum(idf) AS idf FROM q_split GROUP BY language),
e_postings AS (
    -- Postings of the visible documents only, selected inside the (lexeme, language, document) index.
    -- LATERAL ... OFFSET 0: one index scan per word (no hash join over a whole posting list).
    SELECT t.chunk_id, t.document_id, qs.language, qs.idf, t.tf, t.dl
    FROM q_split AS qs CROSS JOIN LATERAL (
        SELECT c.chunk_id, c.document_id, (c.tf_body + %(heading_boost)s * c.tf_head)::float8 AS tf, c.dl
        FROM chunk_terms AS c
        WHERE c.lexeme = qs.lexeme AND c.language = qs.language AND c.document_id = ANY (ARRAY(SELECT id FROM visible))
        OFFSET 0
    ) AS t
    WHERE qs.essential
),
partial AS MATERIALIZED (
    SELECT p.chunk_id, p.document_id, p.language, sum(p.idf) AS matched_idf,
           sum({_bm25("p.idf", "p.tf", "p.dl")}) AS score
    FROM e_postings AS p CROSS JOIN stats AS s
    GROUP BY p.chunk_id, p.document_id, p.language
),
ne_bound AS (SELECT language, sum(ub) AS ub FROM q_split WHERE NOT essential GROUP BY language),
-- The best passages by partial score, fully scored (their common words probed): the `candidates`-th
-- of these full scores is a lower bound of the final `candidates`-th score.
top_partial AS MATERIALIZED (
    SELECT chunk_id, document_id, language, score FROM partial ORDER BY score DESC, chunk_id LIMIT 3 * %(candidates)s
),
-- MATERIALIZED: `pruning` reads the lower bound twice, and an inlined CTE would probe them twice.
top_full AS MATERIALIZED (
    SELECT tp.score + coalesce(ne.score, 0) AS score
    FROM top_partial AS tp CROSS JOIN LATERAL (
        SELECT sum({_bm25("qs.idf", "t.tf", "t.dl")}) AS score
        FROM q_split AS qs CROSS JOIN stats AS s CROSS JOIN LATERAL (
            SELECT (c.tf_body + %(heading_boost)s * c.tf_head)::float8 AS tf, c.dl FROM chunk_terms AS c
            WHERE c.lexeme = qs.lexeme AND c.language = qs.language
              AND c.document_id = tp.document_id AND c.chunk_id = tp.chunk_id
            OFFSET 0
        ) AS t
        WHERE NOT qs.essential AND qs.language = tp.language
    ) AS ne
),
pruning AS MATERIALIZED (
    SELECT coalesce(th.lb, 0) AS lb, coalesce(ne.ub = 0 OR th.lb > ne.ub, false) AS exact
    FROM (SELECT (SELECT score FROM top_full ORDER BY score DESC OFFSET %(candidates)s - 1 LIMIT 1) AS lb) AS th
    CROSS JOIN (SELECT coalesce(max(ub), 0) AS ub FROM ne_bound) AS ne
),
-- Passages that can still reach the top once their common words are added.
survivors AS MATERIALIZED (
    SELECT p.chunk_id, p.document_id, p.language, p.score, p.matched_idf
    FROM partial AS p LEFT JOIN ne_bound AS nb USING (language)
    WHERE (SELECT exact FROM pruning) AND p.score + coalesce(nb.ub, 0) >= (SELECT lb FROM pruning)
),
-- The survivors' common words: probed passage by passage, or read in full when that is cheaper (a
-- probe costs about as much as reading five postings).
ne_plan AS MATERIALIZED (
    SELECT (SELECT count(*) FROM survivors) * count(*) * 5 <= coalesce(sum(df), 0) AS probe
    FROM q_split WHERE NOT essential
),
ne_scan AS (
    SELECT t.chunk_id,
           sum({_bm25("qs.idf", "t.tf", "t.dl")}) AS score,
           sum(qs.idf) AS idf
    FROM q_split AS qs CROSS JOIN stats AS s CROSS JOIN LATERAL (
        SELECT c.chunk_id, (c.tf_body + %(heading_boost)s * c.tf_head)::float8 AS tf, c.dl FROM chunk_terms AS c
        WHERE c.lexeme = qs.lexeme AND c.language = qs.language AND c.document_id = ANY (ARRAY(SELECT id FROM visible))
        OFFSET 0
    ) AS t
    WHERE NOT qs.essential AND (SELECT exact FROM pruning) AND NOT (SELECT probe FROM ne_plan)
    GROUP BY t.chunk_id
),
-- The bound held: a survivor's score is its partial score plus its common words.
ft_pruned AS (
    SELECT sv.chunk_id, sv.score + coalesce(ns.score, 0) AS score,
           (sv.matched_idf + coalesce(ns.idf, 0)) / nullif(qt.idf, 0) AS coverage
    FROM survivors AS sv JOIN q_total AS qt USING (language) LEFT JOIN ne_scan AS ns USING (chunk_id)
    WHERE NOT (SELECT probe FROM ne_plan)
    UNION ALL
    SELECT sv.chunk_id, sv.score + coalesce(ne.score, 0) AS score,
           (sv.matched_idf + coalesce(ne.idf, 0)) / nullif(qt.idf, 0) AS coverage
    FROM survivors AS sv JOIN q_total AS qt USING (language) CROSS JOIN LATERAL (
        SELECT sum({_bm25("qs.idf", "t.tf", "t.dl")}) AS score,
               sum(qs.idf) AS idf
        FROM q_split AS qs CROSS JOIN stats AS s CROSS JOIN LATERAL (
            SELECT (c.tf_body + %(heading_boost)s * c.tf_head)::float8 AS tf, c.dl FROM chunk_terms AS c
            WHERE c.lexeme = qs.lexeme AND c.language = qs.language
              AND c.document_id = sv.document_id AND c.chunk_id = sv.chunk_id
            OFFSET 0
        ) AS t
        WHERE NOT qs.essential AND qs.language = sv.language
    ) AS ne
    WHERE (SELECT probe FROM ne_plan)
),
-- Fallback (the bound did not hold): plain BM25 over every visible posting of the question's words.
all_postings AS (
    SELECT t.chunk_id, qs.language, qs.idf, t.tf, t.dl
    FROM q_split AS qs CROSS JOIN LATERAL (
        SELECT c.chunk_id, (c.tf_body + %(heading_boost)s * c.tf_head)::float8 AS tf, c.dl FROM chunk_terms AS c
        WHERE c.lexeme = qs.lexeme AND c.language = qs.language AND c.document_id = ANY (ARRAY(SELECT id FROM visible))
        OFFSET 0
    ) AS t
    WHERE NOT (SELECT exact FROM pruning)
),
ft_full AS (
    SELECT p.chunk_id,
           sum({_bm25("p.idf", "p.tf", "p.dl")}) AS score,
           sum(p.idf) / nullif(min(qt.idf), 0) AS coverage
    FROM all_postings AS p CROSS JOIN stats AS s JOIN q_total AS qt USING (language)
    GROUP BY p.chunk_id
),
ft AS (
    SELECT chunk_id, score, coverage FROM (SELECT * FROM ft_pruned UNION ALL SELECT * FROM ft_full) AS both_paths
    ORDER BY score DESC, chunk_id
    LIMIT %(candidates)s
),
ft_ranked AS (
    SELECT chunk_id, score, coverage, row_number() OVER (ORDER BY score DESC, chunk_id) AS rank,
           min(score) OVER () AS lo, max(score) OVER () AS hi
    FROM ft
)"""

# Two plans, one of which runs (the other's one-time filter is false, so it is never executed):
# * few readable passages: an exact scan of those passages, found through their documents. The
#   `OFFSET 0` fence keeps the planner off the HNSW index (whose filtered walk would visit ~100x more
#   nodes) and lets the sort use the distance computed once per passage: the former `ORDER BY
#   distance + 0` computed it twice (10% readable of 100k: 10,000 distances less, ~1-5 ms p50);
# * otherwise HNSW with iterative scans, filtered inside the scan, in relaxed order: materialise, re-sort.
_VECTOR_LEG = """
vec AS MATERIALIZED (
    (SELECT e.chunk_id, e.distance FROM (
        SELECT c.id AS chunk_id, c.embedding::vector({dim}) <=> %(qvec)s::vector({dim}) AS distance
        FROM chunks AS c
        WHERE (SELECT readable FROM stats) < %(exact_below)s
          AND c.document_id = ANY (ARRAY(SELECT id FROM visible))
          AND c.embedding_dim = {dim} AND c.embedding_model = %(model)s AND c.acl && %(principals)s::text[]
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
),
vec_ranked AS (
    SELECT chunk_id, 1 - distance AS score, row_number() OVER (ORDER BY distance, chunk_id) AS rank,
           min(1 - distance) OVER () AS lo, max(1 - distance) OVER () AS hi
    FROM vec
)"""

_EMPTY_FT = "ft_ranked AS (SELECT NULL::bigint AS chunk_id, NULL::float8 AS score, NULL::float8 AS coverage, NULL::bigint AS rank, NULL::float8 AS lo, NULL::float8 AS hi WHERE false)"  # noqa: E501
_EMPTY_VEC = "vec_ranked AS (SELECT NULL::bigint AS chunk_id, NULL::float8 AS score, NULL::bigint AS rank, NULL::float8 AS lo, NULL::float8 AS hi WHERE false)"  # noqa: E501

# min-max: each leg's scores mapped to [0, 1] over its candidates, then weighted (a missing leg counts 0).
# rrf: weighted reciprocal ranks, scaled by 2 so that alpha = 0.5 gives the classic sum.
_FUSE_AND_FETCH = """
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
FROM (SELECT * FROM fused ORDER BY score DESC, chunk_id LIMIT %(k)s) AS fz
-- One primary-key lookup per result: the row-level-security quals hide the sizes from the planner.
CROSS JOIN LATERAL (SELECT * FROM chunks WHERE id = fz.chunk_id) AS c
CROSS JOIN LATERAL (SELECT * FROM documents WHERE id = c.document_id) AS d
ORDER BY fz.score DESC, c.id
"""


@cache
def _statement(mode: Mode, dim: int) -> str:
    legs = [_QUERY_LEXEMES, _VISIBLE]
    legs.append(_FULLTEXT_LEG if mode != "vector" else _EMPTY_FT)
    legs.append(_VECTOR_LEG.format(dim=int(dim)) if mode != "fulltext" else _EMPTY_VEC)
    return "WITH " + ",\n".join(legs) + ",\n" + _FUSE_AND_FETCH


def search(
    conn: Connection[Any],
    query: str,
    query_vector: npt.NDArray[np.float32] | None,
    *,
    model_id: str,
    params: SearchParams,
    principals: Sequence[str],
    mode: Mode = "hybrid",
) -> list[Hit]:
    """Top passages for a question among those `principals` may read.

    The filter is in both legs, before ranking; row-level security for `sourcier_reader` enforces the
    same rule underneath. The vector leg needs `query_vector` (None only in fulltext mode).
    """
    if mode != "fulltext" and query_vector is None:
        raise ValueError("the vector leg needs a query vector")
    who = checked_principals(principals)
    dim = int(query_vector.shape[-1]) if query_vector is not None else 0
    with conn.transaction(), conn.cursor(row_factory=class_row(Hit)) as cur:
        prepare_reader(cur, who, params)
        values = _values(query, query_vector, model_id, _depth(params, mode), who)
        cur.execute(_statement(mode, dim), values)  # constants only
        return cur.fetchall()


def _depth(params: SearchParams, mode: Mode) -> SearchParams:
    """A single leg needs only its own top k, which it computes exactly at that depth: the full-text bound
    prunes against the k-th score instead of the 100th, and the vector leg stops at k. Fusion is what
    needs `candidates` from each leg. Scores of a single-leg mode are normalised over the hits it returns."""
    return params if mode == "hybrid" else replace(params, candidates=params.k)


def _values(
    query: str, qvec: npt.NDArray[np.float32] | None, model_id: str, params: SearchParams, who: list[str]
) -> dict[str, Any]:
    return {
        "query": query,
        "qvec": qvec,
        "model": model_id,
        "candidates": params.candidates,
        "k": params.k,
        "k1": params.k1,
        "b": params.b,
        "heading_boost": params.heading_boost,
        "fusion": params.fusion,
        "alpha": params.alpha,
        "rrf_k": params.rrf_k,
        "principals": who,
        "exact_below": params.exact_below,
        "postings_budget": params.postings_budget,
    }


@dataclass(frozen=True, slots=True)
class Pruning:
    """How the full-text leg ran for one question: what a benchmark or a test checks the plan against."""

    exact: bool  # the bound held: common words were read only for the survivors
    essential_postings: int  # visible postings of the rarest words, read in full
    survivors: int  # passages that could still reach the top once common words were added
    common_postings: int  # visible postings of the other words (read in full only when `exact` is false)


_PRUNING = """
SELECT (SELECT exact FROM pruning), (SELECT count(*) FROM e_postings), (SELECT count(*) FROM survivors),
       (SELECT count(*) FROM q_split AS qs JOIN chunk_terms AS t
            ON t.lexeme = qs.lexeme AND t.language = qs.language AND t.document_id IN (SELECT id FROM visible)
        WHERE NOT qs.essential)
"""


def fulltext_pruning(conn: Connection[Any], query: str, *, params: SearchParams, principals: Sequence[str]) -> Pruning:
    """The full-text leg's pruning decision for a question, under the reader role (diagnostics only)."""
    who = checked_principals(principals)
    sql = "WITH " + ",\n".join([_QUERY_LEXEMES, _VISIBLE, _FULLTEXT_LEG]) + _PRUNING
    with conn.transaction(), conn.cursor() as cur:
        prepare_reader(cur, who, params)
        cur.execute(sql, _values(query, None, "", params, who))  # constants only
        row = cur.fetchone()
    assert row is not None
    return Pruning(bool(row[0]), int(row[1]), int(row[2]), int(row[3]))


# One round trip (each costs ~0.1 ms, a fifth of a small query's database time). `set_config('role', ...,
# true)` is `SET LOCAL ROLE`, with the same privilege check; the principals are set before the role.
_AS_READER = """
SELECT set_config('sourcier.principals', %(principals)s, true), set_config('role', 'sourcier_reader', true)
"""
_AS_SEARCHING_READER = """
SELECT set_config('sourcier.principals', %(principals)s, true),
       set_config('hnsw.ef_search', %(ef_search)s, true),
       set_config('hnsw.iterative_scan', 'relaxed_order', true),
       -- Postings of common words run to tens of thousands of rows at 100k passages: keep them in memory.
       set_config('work_mem', '64MB', true),
       -- The row-level-security qual hides its selectivity from the planner (it reads a setting), which
       -- then prefers scanning every passage over the HNSW index (350 ms instead of a few at 100k).
       set_config('enable_seqscan', 'off', true),
       set_config('role', 'sourcier_reader', true)
"""


def prepare_reader(cur: Cursor[Any], who: list[str], params: SearchParams) -> None:
    """The reader role and the planner settings the retrieval statement is measured with (benchmarks reuse it)."""
    cur.execute(_AS_SEARCHING_READER, {"principals": ",".join(who), "ef_search": str(params.ef_search)})


def checked_principals(principals: Sequence[str]) -> list[str]:
    bad = [p for p in principals if not PRINCIPAL_PATTERN.match(p)]
    if bad:
        raise ValueError(f"malformed principals: {bad!r}")
    return list(principals)


def as_reader(cur: Cursor[Any], principals: list[str]) -> None:
    """Switch the current transaction to the row-level-security role, for these principals."""
    cur.execute(_AS_READER, {"principals": ",".join(principals)})
