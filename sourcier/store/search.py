"""Retrieval SQL: a BM25 full-text leg, a pgvector leg, and their fusion, in one statement (or the two legs
at once on two connections, then their fusion: the same hits).

BM25 is computed from the postings table (`chunk_terms`) because PostgreSQL's `ts_rank` has no
inverse document frequency (measured on PIAF: ts_rank nDCG@10 0.48 against 0.79 for BM25; see
docs/benchmarks.md). Fusion happens in SQL too, so the database returns the final ranking.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from psycopg import Connection, Cursor, sql
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
    # HNSW candidate list when every passage is readable; a smaller audience gets ef / share^(1/4), at
    # most 1000 (_EF_FOR_AUDIENCE). Filtered recall@10 at 100k passages (docs/benchmarks.md, run 13): all
    # readable 0.978 at 400 (0.905 at 200); a tenth readable 0.942 at 400, 0.973 at 712 (400 / 0.1^(1/4)).
    ef_search: int = 400
    # Below this many readable passages the vector leg scans them exactly instead of walking HNSW: an
    # exact scan reads each readable passage once (about 2 us each since vectors are stored inline, 0009),
    # while a filtered walk needs a longer list the fewer passages pass, and visits more nodes the more
    # candidates it must return. At 100k, ms p50 / p95 (run 13): a tenth readable, exact ~19 whatever the
    # depth; HNSW at ef 712 13.7 / 17.5 for a top 10 (recall 0.973) but slower than the exact scan for
    # fusion's 100 candidates (hybrid 35.3 / 47.7 against ~21 / 26 with the exact scan). 100k exact 153.
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

# The visible documents' ids, sorted: a btree scan sorts the array of an `= ANY (...)` condition each time
# it restarts, once per word of the question, and an array already in order costs one pass instead of a
# sort (all of 100k passages readable, full-text leg at the top 100: p50 19.0 -> 16.3 ms; run 12).
_VISIBLE_IDS = "ARRAY(SELECT id FROM visible ORDER BY id)"

SMALL_BUDGET = 2_000  # postings: below this, the full-text leg's budget no longer shrinks with the audience


def _bm25(idf: str, tf: str, dl: str) -> str:
    """One word's BM25 contribution to a passage, as SQL over `stats AS s` (one formula for every step)."""
    return f"{idf} * {tf} * (%(k1)s + 1) / ({tf} + %(k1)s * (1 - %(b)s + %(b)s * {dl} / s.avgdl))"


def _visible_postings(word: str) -> str:
    """A LATERAL subquery: the postings of `word` (a row with lexeme, language) in the visible documents,
    selected inside the (lexeme, language, document) index. `OFFSET 0`: one index scan per word, no hash
    join over a whole posting list."""
    return f"""(
        SELECT c.chunk_id, c.document_id, (c.tf_body + %(heading_boost)s * c.tf_head)::float8 AS tf, c.dl
        FROM chunk_terms AS c
        WHERE c.lexeme = {word}.lexeme AND c.language = {word}.language
          AND c.document_id = ANY ({_VISIBLE_IDS})
        OFFSET 0
    )"""


def _passage_posting(word: str, passage: str) -> str:
    """A LATERAL subquery: the posting of `word` in one passage (a row with chunk_id, document_id), if
    any: a probe by primary key."""
    return f"""(
            SELECT (c.tf_body + %(heading_boost)s * c.tf_head)::float8 AS tf, c.dl FROM chunk_terms AS c
            WHERE c.lexeme = {word}.lexeme AND c.language = {word}.language
              AND c.document_id = {passage}.document_id AND c.chunk_id = {passage}.chunk_id
            OFFSET 0
        )"""


def _fully_scored_best(best: str, full: str, passages: str, words: str) -> str:
    """CTEs `best` and `full`: the best 3 x `candidates` of `passages` (chunk_id, document_id, language,
    score) by score, and their full scores, with the BM25 terms of `words` (lexeme, language, idf) probed.
    The `candidates`-th full score is a lower bound of the final `candidates`-th score. Both MATERIALIZED:
    the bound is read more than once, and an inlined CTE would probe the passages each time."""
    return f"""
{best} AS MATERIALIZED (
    SELECT chunk_id, document_id, language, score FROM {passages}
    ORDER BY score DESC, chunk_id LIMIT 3 * %(candidates)s
),
{full} AS MATERIALIZED (
    SELECT tp.score + coalesce(ne.score, 0) AS score
    FROM {best} AS tp CROSS JOIN LATERAL (
        SELECT sum({_bm25("qs.idf", "t.tf", "t.dl")}) AS score
        FROM {words} AS qs CROSS JOIN stats AS s CROSS JOIN LATERAL {_passage_posting("qs", "tp")} AS t
        WHERE qs.language = tp.language
    ) AS ne
)"""


def _lower_bound(full: str) -> str:
    """The `candidates`-th score of `full` (NULL if fewer), lowered by a relative 1e-9: the same passage's
    score, summed in another order further on, may differ in its last bits, and must not fall under its
    own bound (a 10th passage was lost that way)."""
    return f"((SELECT score FROM {full} ORDER BY score DESC OFFSET %(candidates)s - 1 LIMIT 1) * (1 - 1e-9))"


def _add_words(name: str, passages: str, words: str) -> str:
    """CTEs ending in `name`: each of `passages` (chunk_id, document_id, language, score, matched_idf) with
    the BM25 terms of `words` (lexeme, language, df, idf) added, exactly. Probed passage by passage, or
    the words' visible postings read in full when that is cheaper (a probe costs about five postings);
    passed through as they are when there are no words."""
    return f"""
{name}_plan AS MATERIALIZED (
    SELECT count(*) = 0 AS none,
           (SELECT count(*) FROM {passages}) * count(*) * 5 <= coalesce(sum(df), 0) AS probe
    FROM {words} AS w
),
{name}_scan AS (
    SELECT t.chunk_id, sum({_bm25("qs.idf", "t.tf", "t.dl")}) AS score, sum(qs.idf) AS idf
    FROM {words} AS qs CROSS JOIN stats AS s CROSS JOIN LATERAL {_visible_postings("qs")} AS t
    WHERE NOT (SELECT probe OR none FROM {name}_plan)
    GROUP BY t.chunk_id
),
{name} AS MATERIALIZED (
    SELECT sv.chunk_id, sv.document_id, sv.language, sv.score, sv.matched_idf
    FROM {passages} AS sv
    WHERE (SELECT none FROM {name}_plan)
    UNION ALL
    SELECT sv.chunk_id, sv.document_id, sv.language, sv.score + coalesce(ns.score, 0) AS score,
           sv.matched_idf + coalesce(ns.idf, 0) AS matched_idf
    FROM {passages} AS sv LEFT JOIN {name}_scan AS ns USING (chunk_id)
    WHERE NOT (SELECT probe OR none FROM {name}_plan)
    UNION ALL
    SELECT sv.chunk_id, sv.document_id, sv.language, sv.score + coalesce(ne.score, 0),
           sv.matched_idf + coalesce(ne.idf, 0)
    FROM {passages} AS sv CROSS JOIN LATERAL (
        SELECT sum({_bm25("qs.idf", "t.tf", "t.dl")}) AS score, sum(qs.idf) AS idf
        FROM {words} AS qs CROSS JOIN stats AS s CROSS JOIN LATERAL {_passage_posting("qs", "sv")} AS t
        WHERE qs.language = sv.language
    ) AS ne
    WHERE (SELECT probe AND NOT none FROM {name}_plan)
)"""


# The pruned words are added to the survivors in this many stages: one word in each, the highest bound
# first, then all the others in the last; between two stages the passages that can no longer reach the
# lower bound, even with every word still to add, are dropped.
STAGES = 2


def _staged_additions() -> str:
    """CTEs ending in `all_added`: the survivors with every pruned word added, stage by stage."""
    out, passages = [], "survivors"
    for i in range(1, STAGES + 1):
        out.append(_add_words(f"added_{i}", passages, f"(SELECT * FROM q_stage WHERE stage = {i})") + ",")
        if i < STAGES:
            out.append(f"""
kept_{i} AS MATERIALIZED (
    SELECT w.* FROM added_{i} AS w LEFT JOIN rest_bound AS r ON r.language = w.language AND r.after = {i}
    WHERE w.score + coalesce(r.ub, 0) >= (SELECT lb FROM lower)
),""")
            passages = f"kept_{i}"
    out.append(f"\nall_added AS (SELECT * FROM added_{STAGES})")
    return "".join(out)


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
          AND dt.document_id = ANY ({_VISIBLE_IDS})
    ) AS d
),
-- MaxScore split. Words are ordered rarest first; those whose visible postings fit in the budget (and
-- always the rarest word that has any) are "essential" and read in full. A passage holding only the
-- other, common words scores at most the sum of their upper bounds (idf * tf_bound), so when that sum
-- stays under the `candidates`-th score among passages holding an essential word, such passages cannot
-- reach the top and are never read. The budget shrinks with the audience, to half the readable passages
-- (but not under SMALL_BUDGET, where reading everything is cheapest): reading a common word of a mid-sized
-- audience in full was most of the leg's time (a tenth of 100k passages readable: p95 26 -> 12 ms;
-- docs/benchmarks.md). It shrinks with the depth too, as the square root of `candidates` / 100: the 10th
-- score bounds more words than the 100th, so fewer need reading in full (all readable, top 10: p50 18.6
-- -> 14.6 ms at 7,000 instead of 20,000; at the top 100, 10,000 lost to 20,000 at p95; run 11).
q_split AS MATERIALIZED (
    SELECT lexeme, language, df, idf, idf * tf_bound * (1 + 1e-9) AS ub,  -- margin: rounding never breaks the bound
           (sum(df) OVER w <= least(%(postings_budget)s * sqrt(%(candidates)s / 100.0),
                                    greatest(readable / 2, %(small_budget)s))
            OR sum(df) OVER w = df) AS essential
    FROM (SELECT q_df.*, ln(1 + (s.n - q_df.df + 0.5) / (q_df.df + 0.5)) AS idf, s.readable
          FROM q_df CROSS JOIN stats AS s) AS x
    WINDOW w AS (ORDER BY df, lexeme, language ROWS UNBOUNDED PRECEDING)
),
-- The question's words with their IDF, per stemmer: how much of the question a passage covers.
q_total AS (SELECT language, sum(idf) AS idf FROM q_split GROUP BY language),
e_postings AS (
    -- Postings of the visible documents only.
    SELECT t.chunk_id, t.document_id, qs.language, qs.idf, t.tf, t.dl
    FROM q_split AS qs CROSS JOIN LATERAL {_visible_postings("qs")} AS t
    WHERE qs.essential AND qs.df > 0  -- a word no visible passage holds has nothing to read
),
partial AS MATERIALIZED (
    SELECT p.chunk_id, p.document_id, p.language, sum(p.idf) AS matched_idf,
           sum({_bm25("p.idf", "p.tf", "p.dl")}) AS score
    FROM e_postings AS p CROSS JOIN stats AS s
    GROUP BY p.chunk_id, p.document_id, p.language
),
ne_bound AS (SELECT language, sum(ub) AS ub FROM q_split WHERE NOT essential GROUP BY language),
-- The best passages by partial score, their common words probed: the first lower bound.
{_fully_scored_best("top_partial", "top_full", "partial", "(SELECT * FROM q_split WHERE NOT essential)")},
pruning AS MATERIALIZED (
    SELECT coalesce(th.lb, 0) AS lb, coalesce(ne.ub = 0 OR th.lb > ne.ub, false) AS exact
    FROM (SELECT {_lower_bound("top_full")} AS lb) AS th
    CROSS JOIN (SELECT coalesce(max(ub), 0) AS ub FROM ne_bound) AS ne
),
-- The common words the bound prunes: the commonest ones, as many as keep the sum of their bounds under
-- the lower bound. All of them when the bound holds (`pruning.exact`); otherwise the others are
-- "promoted" and read in full after all (none pruned when there is no lower bound: plain BM25). This
-- keeps the leg exact without reading every posting of the question's words when the bound is a
-- little too loose (a question of fairly common words only: 125k postings read before at 100k passages).
q_pruned AS MATERIALIZED (
    SELECT lexeme, language, df, idf, ub FROM (
        SELECT qs.*, sum(CASE WHEN qs.essential THEN 0 ELSE qs.ub END)
                         OVER (PARTITION BY qs.language ORDER BY qs.df DESC, qs.lexeme DESC ROWS UNBOUNDED PRECEDING)
                         AS cum_ub
        FROM q_split AS qs
    ) AS x
    WHERE NOT essential AND cum_ub < (SELECT lb FROM pruning)
),
q_promoted AS MATERIALIZED (
    SELECT qs.lexeme, qs.language, qs.idf FROM q_split AS qs
    WHERE NOT qs.essential
      AND NOT EXISTS (SELECT FROM q_pruned AS p WHERE (p.lexeme, p.language) = (qs.lexeme, qs.language))
),
-- Partial scores with the promoted words added (computed only when there are any).
promoted_partial AS (
    SELECT chunk_id, document_id, language, sum(matched_idf) AS matched_idf, sum(score) AS score FROM (
        SELECT chunk_id, document_id, language, matched_idf, score FROM partial
        WHERE EXISTS (SELECT FROM q_promoted)
        UNION ALL
        SELECT t.chunk_id, t.document_id, qp.language, qp.idf, {_bm25("qp.idf", "t.tf", "t.dl")}
        FROM q_promoted AS qp CROSS JOIN stats AS s CROSS JOIN LATERAL {_visible_postings("qp")} AS t
    ) AS both_parts
    GROUP BY chunk_id, document_id, language
),
-- A tighter lower bound once words were promoted: the best passages by partial score with the promoted
-- words in, their pruned words probed; the greater of the two bounds decides which passages survive
-- (nothing to do when none was promoted: `promoted_partial` is empty). The first bound came from the
-- essential words alone, and when it was too loose to prune every common word it was also too loose
-- to prune many passages: thousands of survivors for questions read with a small budget.
{_fully_scored_best("top_promoted", "top_promoted_full", "promoted_partial", "q_pruned")},
lower AS MATERIALIZED (
    SELECT greatest((SELECT lb FROM pruning), coalesce({_lower_bound("top_promoted_full")}, 0)) AS lb
),
pruned_bound AS (SELECT language, sum(ub) AS ub FROM q_pruned GROUP BY language),
-- Passages that can still reach the top once their pruned words are added.
survivors AS MATERIALIZED (
    SELECT p.chunk_id, p.document_id, p.language, p.score, p.matched_idf
    FROM partial AS p LEFT JOIN pruned_bound AS nb USING (language)
    WHERE NOT EXISTS (SELECT FROM q_promoted) AND p.score + coalesce(nb.ub, 0) >= (SELECT lb FROM lower)
    UNION ALL
    SELECT p.chunk_id, p.document_id, p.language, p.score, p.matched_idf
    FROM promoted_partial AS p LEFT JOIN pruned_bound AS nb USING (language)
    WHERE p.score + coalesce(nb.ub, 0) >= (SELECT lb FROM lower)
),
-- The pruned words, added in STAGES stages: most survivors hold few of them, so once the word with the
-- highest bound is added, most fall under the lower bound even with the rest, and the other words are
-- probed for the few left. The commonest words, with by far the most postings and the smallest bounds,
-- come last (rather than their postings read in full: 74k for "le" in a question at 100k passages). For
-- one question at 100k passages, top 10: 2,699 survivors probed for one word, then 78 for four, instead
-- of 2,699 for four; more stages cost ~0.2 ms each at small audiences and gained nothing (run 11).
q_stage AS MATERIALIZED (
    SELECT *, least(row_number() OVER (PARTITION BY language ORDER BY ub DESC, lexeme), {STAGES}) AS stage
    FROM q_pruned
),
rest_bound AS (
    SELECT qs.language, a.after, sum(qs.ub) AS ub
    FROM q_stage AS qs CROSS JOIN generate_series(1, {STAGES - 1}) AS a (after)
    WHERE qs.stage > a.after GROUP BY qs.language, a.after
),
{_staged_additions()},
ft_scored AS (
    SELECT a.chunk_id, a.score, a.matched_idf / nullif(qt.idf, 0) AS coverage
    FROM all_added AS a JOIN q_total AS qt USING (language)
),
ft AS (SELECT chunk_id, score, coverage FROM ft_scored ORDER BY score DESC, chunk_id LIMIT %(candidates)s)"""

# Two plans, one of which runs (the other's one-time filter is false, so it is never executed):
# * few readable passages: an exact scan of those passages, found through their visible documents (a
#   passage's access list is its document's, written in the same transaction, and row-level security
#   checks the passage's own list again: a third check per passage cost ~2 ms at 10k). The
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


def _vector_leg(dim: int) -> str:
    return _VECTOR_LEG.format(dim=int(dim), visible_ids=_VISIBLE_IDS)

_EMPTY_FT = "ft AS (SELECT NULL::bigint AS chunk_id, NULL::float8 AS score, NULL::float8 AS coverage WHERE false)"
_EMPTY_VEC = "vec AS (SELECT NULL::bigint AS chunk_id, NULL::float8 AS distance WHERE false)"

# Each leg's candidates ranked, with the score range that min-max fusion maps to [0, 1].
_RANKED = """
ft_ranked AS (
    SELECT chunk_id, score, coverage, row_number() OVER (ORDER BY score DESC, chunk_id) AS rank,
           min(score) OVER () AS lo, max(score) OVER () AS hi
    FROM ft
),
vec_ranked AS (
    SELECT chunk_id, 1 - distance AS score, row_number() OVER (ORDER BY distance, chunk_id) AS rank,
           min(1 - distance) OVER () AS lo, max(1 - distance) OVER () AS hi
    FROM vec
)"""

# The legs' candidates when they ran on two connections (`search(side=...)`), handed back as arrays.
_LEGS_GIVEN = """
ft AS (
    SELECT * FROM unnest(%(ft_ids)s::bigint[], %(ft_scores)s::float8[], %(ft_coverage)s::float8[])
        AS t(chunk_id, score, coverage)
),
vec AS (SELECT * FROM unnest(%(vec_ids)s::bigint[], %(vec_distances)s::float8[]) AS t(chunk_id, distance))"""

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
    legs.append(_vector_leg(dim) if mode != "fulltext" else _EMPTY_VEC)
    return "WITH " + ",\n".join([*legs, _RANKED]) + ",\n" + _FUSE_AND_FETCH


# The hybrid statement cut in three for two connections: each leg's candidates, then their fusion.
_FULLTEXT_ALONE = "WITH " + ",\n".join([_QUERY_LEXEMES, _VISIBLE, _FULLTEXT_LEG]) + "\nSELECT * FROM ft"
_FUSE_GIVEN = "WITH " + ",\n".join([_LEGS_GIVEN, _RANKED]) + ",\n" + _FUSE_AND_FETCH


@cache
def _vector_alone(dim: int) -> str:
    return "WITH " + ",\n".join([_VISIBLE, _vector_leg(dim)]) + "\nSELECT * FROM vec"


def search(
    conn: Connection[Any],
    query: str,
    query_vector: npt.NDArray[np.float32] | None,
    *,
    model_id: str,
    params: SearchParams,
    principals: Sequence[str],
    mode: Mode = "hybrid",
    side: Connection[Any] | None = None,
) -> list[Hit]:
    """Top passages for a question among those `principals` may read.

    The filter is in both legs, before ranking; row-level security for `sourcier_reader` enforces the
    same rule underneath. The vector leg needs `query_vector` (None only in fulltext mode).

    `side`, an idle connection to the same database: the hybrid legs run at the same time, one on each
    connection, in one snapshot; the same hits as the single statement, sooner when the server has a core
    to spare (a tenth of 100k passages readable: the legs take ~7 and ~18 ms; docs/benchmarks.md).
    """
    if mode != "fulltext" and query_vector is None:
        raise ValueError("the vector leg needs a query vector")
    who = checked_principals(principals)
    dim = int(query_vector.shape[-1]) if query_vector is not None else 0
    values = _values(query, query_vector, model_id, _depth(params, mode), who)
    if mode == "hybrid" and side is not None:
        return _search_on_two(conn, side, values, dim, who, params)
    with conn.transaction(), conn.cursor(row_factory=class_row(Hit)) as cur:
        prepare_reader(cur, who, params, vector_leg=mode != "fulltext")
        cur.execute(_statement(mode, dim), values)  # constants only
        return cur.fetchall()


# The vector leg's thread: the calling thread runs the full-text leg meanwhile.
_SIDE_LEGS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="sourcier-vector-leg")


def _search_on_two(
    conn: Connection[Any], side: Connection[Any], values: dict[str, Any], dim: int, who: list[str], params: SearchParams
) -> list[Hit]:
    """The hybrid statement's legs on two connections, fused on the first. The side imports the first's
    snapshot, so both legs read the same index state (an access change committed in between applies to
    neither leg, not to one of them)."""
    with conn.transaction():
        with conn.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # a snapshot can be shared
            snapshot = prepare_reader(cur, who, params, export_snapshot=True)
            assert snapshot is not None
            vector_leg = _SIDE_LEGS.submit(_vector_leg_in, side, snapshot, values, dim, who, params)
            try:
                cur.execute(_FULLTEXT_ALONE, values)  # constants only
                ft = cur.fetchall()
            finally:
                wait([vector_leg])  # the side connection is never left running a statement
            vec = vector_leg.result()
        given = {
            "ft_ids": [r[0] for r in ft], "ft_scores": [r[1] for r in ft], "ft_coverage": [r[2] for r in ft],
            "vec_ids": [r[0] for r in vec], "vec_distances": [r[1] for r in vec],
        }  # fmt: skip
        with conn.cursor(row_factory=class_row(Hit)) as hits:
            hits.execute(_FUSE_GIVEN, {**values, **given})
            return hits.fetchall()


def _vector_leg_in(
    side: Connection[Any], snapshot: str, values: dict[str, Any], dim: int, who: list[str], params: SearchParams
) -> list[tuple[Any, ...]]:
    with side.transaction(), side.cursor() as cur:
        cur.execute(
            sql.SQL("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; SET TRANSACTION SNAPSHOT {}").format(
                sql.Literal(snapshot)
            )
        )
        prepare_reader(cur, who, params)
        cur.execute(_vector_alone(dim), values)  # constants only
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
        "small_budget": SMALL_BUDGET,
    }


@dataclass(frozen=True, slots=True)
class Pruning:
    """How the full-text leg ran for one question: what a benchmark or a test checks the plan against."""

    exact: bool  # the bound held for every common word: they were read only for the survivors
    essential_postings: int  # visible postings of the rarest words, read in full
    survivors: int  # passages that could still reach the top once common words were added
    common_postings: int  # visible postings of the other words
    promoted_words: int  # common words read in full after all, the bound being too loose for them


_PRUNING = """
SELECT (SELECT exact FROM pruning), (SELECT count(*) FROM e_postings), (SELECT count(*) FROM survivors),
       (SELECT count(*) FROM q_split AS qs JOIN chunk_terms AS t
            ON t.lexeme = qs.lexeme AND t.language = qs.language AND t.document_id IN (SELECT id FROM visible)
        WHERE NOT qs.essential),
       (SELECT count(*) FROM q_promoted)
"""


def fulltext_pruning(conn: Connection[Any], query: str, *, params: SearchParams, principals: Sequence[str]) -> Pruning:
    """The full-text leg's pruning decision for a question, under the reader role (diagnostics only)."""
    who = checked_principals(principals)
    sql = "WITH " + ",\n".join([_QUERY_LEXEMES, _VISIBLE, _FULLTEXT_LEG]) + _PRUNING
    with conn.transaction(), conn.cursor() as cur:
        prepare_reader(cur, who, params, vector_leg=False)
        cur.execute(sql, _values(query, None, "", params, who))  # constants only
        row = cur.fetchone()
    assert row is not None
    return Pruning(bool(row[0]), int(row[1]), int(row[2]), int(row[3]), int(row[4]))


# One round trip (each costs ~0.1 ms, a fifth of a small query's database time). `set_config('role', ...,
# true)` is `SET LOCAL ROLE`, with the same privilege check; the principals are set before the role.
_AS_READER = """
SELECT set_config('sourcier.principals', %(principals)s, true), set_config('role', 'sourcier_reader', true)
"""
# The HNSW candidate list for the caller's share of the passages: a filtered walk finds fewer readable
# neighbours the smaller the share, so it needs a longer list for the same recall (ef_search is the
# list when everything is readable). The total is the planner's estimate; the walk's own cost already
# depends on the share, since it crosses unreadable passages too.
_EF_FOR_AUDIENCE = """(
    SELECT least(1000, greatest(%(ef_search)s::int,
                                round(%(ef_search)s::int / power(least(1, r.n / greatest(t.n, 1)), 0.25))))::int::text
    FROM (SELECT greatest(coalesce(sum(n_chunks), 0), 1)::float8 AS n FROM documents
          WHERE status = 'indexed' AND acl && %(principal_list)s::text[]) AS r,
         (SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'chunks'::regclass) AS t
)"""
_SEARCHING_READER = """
SELECT set_config('sourcier.principals', %(principals)s, true),
       set_config('hnsw.ef_search', {ef}, true),
       set_config('hnsw.iterative_scan', 'relaxed_order', true),
       -- Postings of common words run to tens of thousands of rows at 100k passages: keep them in memory.
       set_config('work_mem', '64MB', true),
       -- The row-level-security qual hides its selectivity from the planner (it reads a setting), which
       -- then prefers scanning every passage over the HNSW index (350 ms instead of a few at 100k).
       set_config('enable_seqscan', 'off', true),
       -- A statement of a few milliseconds never repays JIT compilation (tens of ms), which a server with
       -- a low `jit_above_cost` could otherwise start on the planner's row estimates.
       set_config('jit', 'off', true),
       set_config('role', 'sourcier_reader', true)
"""
_AS_SEARCHING_READER = _SEARCHING_READER.format(ef="%(ef_search)s::int::text")
_AS_VECTOR_SEARCHING_READER = _SEARCHING_READER.format(ef=_EF_FOR_AUDIENCE)
_EXPORTING_SEARCHING_READER = _AS_SEARCHING_READER.rstrip() + ", pg_export_snapshot()\n"


def prepare_reader(
    cur: Cursor[Any], who: list[str], params: SearchParams, *, export_snapshot: bool = False, vector_leg: bool = True
) -> str | None:
    """The reader role and the planner settings the retrieval statement is measured with (benchmarks reuse
    it); with `export_snapshot`, the id of this transaction's snapshot, exported for another connection
    (which runs the vector leg: this one does not). With `vector_leg`, the HNSW list is sized for the
    caller's share of the passages (~0.5 ms to sum it at 1,000 visible documents)."""
    if export_snapshot:
        setup = _EXPORTING_SEARCHING_READER
    else:
        setup = _AS_VECTOR_SEARCHING_READER if vector_leg else _AS_SEARCHING_READER
    cur.execute(setup, {"principals": ",".join(who), "principal_list": who, "ef_search": params.ef_search})
    return str(cur.fetchone()[-1]) if export_snapshot else None  # type: ignore[index]


def checked_principals(principals: Sequence[str]) -> list[str]:
    bad = [p for p in principals if not PRINCIPAL_PATTERN.match(p)]
    if bad:
        raise ValueError(f"malformed principals: {bad!r}")
    return list(principals)


def as_reader(cur: Cursor[Any], principals: list[str]) -> None:
    """Switch the current transaction to the row-level-security role, for these principals."""
    cur.execute(_AS_READER, {"principals": ",".join(principals)})
