"""The full-text leg: the question's lexemes, then exact BM25 over the visible documents, with MaxScore
pruning of the common words under a postings budget (the SQL reads top to bottom in `_leg`).

BM25 is computed from the postings table (`chunk_terms`) because PostgreSQL's `ts_rank` has no
inverse document frequency (measured on PIAF: ts_rank nDCG@10 0.48 against 0.79 for BM25; see
docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from psycopg import Connection

from ._bm25 import bm25, fully_scored_best, lower_bound, staged_additions, visible_postings
from ._params import SearchParams, bind
from ._reader import VISIBLE, VISIBLE_IDS, checked_principals, prepare_reader
from ._ties import by_content

QUERY_LEXEMES = """
q AS (
    SELECT DISTINCT lexeme, language FROM (
        SELECT (unnest(to_tsvector('fr_unaccent'::regconfig, %(query)s))).lexeme, 'fr' AS language
        UNION ALL
        SELECT (unnest(to_tsvector('en_unaccent'::regconfig, %(query)s))).lexeme, 'en' AS language
    ) AS both_languages
)"""


def fulltext_leg(params: SearchParams) -> str:
    """The CTEs of the full-text leg, ending in `ft` (chunk_id, score, coverage, ord: its top `candidates`),
    over `q` (QUERY_LEXEMES) and `visible`, `stats` (`_reader.VISIBLE`)."""
    return _leg(params.stages, params.best_of, params.probe_cost)


def fulltext_ctes(params: SearchParams) -> str:
    """`WITH` and every CTE the full-text leg needs, for a statement to select from (`ft`, or the plan)."""
    return "WITH " + ",\n".join([QUERY_LEXEMES, VISIBLE, fulltext_leg(params)])


@cache
def _leg(stages: int, best_of: int, probe_cost: int) -> str:
    stages, best_of, probe_cost = int(stages), int(best_of), int(probe_cost)
    common = "(SELECT * FROM q_split WHERE NOT essential)"
    return f"""
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
          AND dt.document_id = ANY ({VISIBLE_IDS})
    ) AS d
),
-- MaxScore split. Words are ordered rarest first; those whose visible postings fit in the budget (and
-- always the rarest word that has any) are "essential" and read in full. A passage holding only the
-- other, common words scores at most the sum of their upper bounds (idf * tf_bound), so when that sum
-- stays under the `candidates`-th score among passages holding an essential word, such passages cannot
-- reach the top and are never read. The budget shrinks with the audience, to half the readable passages
-- (but not under `small_budget`, where reading everything is cheapest): reading a common word of a mid-sized
-- audience in full was most of the leg's time. It shrinks with the depth too, as the square root of
-- `candidates` / 100: the 10th score bounds more words than the 100th, so fewer need reading in full
-- (see docs/adr/0004-access-control.md; measurements in docs/benchmarks.md).
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
    FROM q_split AS qs CROSS JOIN LATERAL {visible_postings("qs")} AS t
    WHERE qs.essential AND qs.df > 0  -- a word no visible passage holds has nothing to read
),
partial AS MATERIALIZED (
    SELECT p.chunk_id, p.document_id, p.language, sum(p.idf) AS matched_idf,
           sum({bm25("p.idf", "p.tf", "p.dl")}) AS score
    FROM e_postings AS p CROSS JOIN stats AS s
    GROUP BY p.chunk_id, p.document_id, p.language
),
ne_bound AS (SELECT language, sum(ub) AS ub FROM q_split WHERE NOT essential GROUP BY language),
-- The best passages by partial score, their common words probed: the first lower bound.
{fully_scored_best("top_partial", "top_full", "partial", common, best_of=best_of)},
pruning AS MATERIALIZED (
    SELECT coalesce(th.lb, 0) AS lb, coalesce(ne.ub = 0 OR th.lb > ne.ub, false) AS exact
    FROM (SELECT {lower_bound("top_full")} AS lb) AS th
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
        SELECT t.chunk_id, t.document_id, qp.language, qp.idf, {bm25("qp.idf", "t.tf", "t.dl")}
        FROM q_promoted AS qp CROSS JOIN stats AS s CROSS JOIN LATERAL {visible_postings("qp")} AS t
    ) AS both_parts
    GROUP BY chunk_id, document_id, language
),
-- A tighter lower bound once words were promoted: the best passages by partial score with the promoted
-- words in, their pruned words probed; the greater of the two bounds decides which passages survive
-- (nothing to do when none was promoted: `promoted_partial` is empty). The first bound came from the
-- essential words alone, and when it was too loose to prune every common word it was also too loose
-- to prune many passages: thousands of survivors for questions read with a small budget.
{fully_scored_best("top_promoted", "top_promoted_full", "promoted_partial", "q_pruned", best_of=best_of)},
lower AS MATERIALIZED (
    SELECT greatest((SELECT lb FROM pruning), coalesce({lower_bound("top_promoted_full")}, 0)) AS lb
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
-- The pruned words, added in `stages` stages: most survivors hold few of them, so once the word with the
-- highest bound is added, most fall under the lower bound even with the rest, and the other words are
-- probed for the few left. The commonest words, with by far the most postings and the smallest bounds,
-- come last, probed for the few survivors left rather than their postings read in full; more stages
-- gained nothing (see docs/adr/0004-access-control.md; measurements in docs/benchmarks.md).
q_stage AS MATERIALIZED (
    SELECT *, least(row_number() OVER (PARTITION BY language ORDER BY ub DESC, lexeme), {stages}) AS stage
    FROM q_pruned
),
rest_bound AS (
    SELECT qs.language, a.after, sum(qs.ub) AS ub
    FROM q_stage AS qs CROSS JOIN generate_series(1, {stages - 1}) AS a (after)
    WHERE qs.stage > a.after GROUP BY qs.language, a.after
),
{staged_additions(stages, probe_cost=probe_cost)},
ft_scored AS (
    SELECT a.chunk_id, a.score, a.matched_idf / nullif(qt.idf, 0) AS coverage
    FROM all_added AS a JOIN q_total AS qt USING (language)
),
-- The top `candidates`, and every passage tied with the last of them: content breaks those ties (`_ties`).
ft_top AS (
    SELECT chunk_id, score, coverage FROM ft_scored
    ORDER BY score DESC FETCH FIRST %(candidates)s ROWS WITH TIES
),{by_content("ft", "ft_top", "t.chunk_id, t.score, t.coverage", "score", descending=True)}"""


@dataclass(frozen=True, slots=True)
class Pruning:
    """How the full-text leg ran for one question: what a benchmark or a test checks the plan against."""

    exact: bool  # the bound held for every common word: they were read only for the survivors
    essential_postings: int  # visible postings of the rarest words, read in full
    survivors: int  # passages that could still reach the top once common words were added
    common_postings: int  # visible postings of the other words
    promoted_words: int  # common words read in full after all, the bound being too loose for them
    lower_bound: float  # the score a passage must reach to stay (0 without a bound: plain BM25)
    # The `candidates`-th full score of the best passages by their rarest words (None if fewer): the first
    # lower bound is taken a relative 1e-9 under it, so that the passage it comes from stays.
    first_bound_source: float | None


PRUNING = """
SELECT (SELECT exact FROM pruning), (SELECT count(*) FROM e_postings), (SELECT count(*) FROM survivors),
       (SELECT count(*) FROM q_split AS qs JOIN chunk_terms AS t
            ON t.lexeme = qs.lexeme AND t.language = qs.language AND t.document_id IN (SELECT id FROM visible)
        WHERE NOT qs.essential),
       (SELECT count(*) FROM q_promoted),
       (SELECT lb FROM lower),
       (SELECT score FROM top_full ORDER BY score DESC OFFSET %(candidates)s - 1 LIMIT 1)
"""


def fulltext_pruning(conn: Connection[Any], query: str, *, params: SearchParams, principals: Sequence[str]) -> Pruning:
    """The full-text leg's pruning decision for a question, under the reader role (diagnostics only), at
    the depth `params` says (`candidates`, as in hybrid mode)."""
    who = checked_principals(principals)
    with conn.transaction(), conn.cursor() as cur:
        prepare_reader(cur, who, params, vector_leg=False)
        cur.execute(fulltext_ctes(params) + PRUNING, bind(query, None, "", params, who))  # constants only
        row = cur.fetchone()
    assert row is not None
    source = None if row[6] is None else float(row[6])
    return Pruning(bool(row[0]), int(row[1]), int(row[2]), int(row[3]), int(row[4]), float(row[5]), source)
