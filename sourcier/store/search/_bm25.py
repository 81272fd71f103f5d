"""SQL building blocks of the full-text leg: the BM25 formula, postings read or probed, exact additions.

Each returns SQL text over the CTEs of `_reader.VISIBLE` (`visible`, `stats`); `_fulltext` composes them.
"""

from __future__ import annotations

from ._reader import VISIBLE_IDS


def bm25(idf: str, tf: str, dl: str) -> str:
    """One word's BM25 contribution to a passage, as SQL over `stats AS s` (one formula for every step)."""
    return f"{idf} * {tf} * (%(k1)s + 1) / ({tf} + %(k1)s * (1 - %(b)s + %(b)s * {dl} / s.avgdl))"


def visible_postings(word: str) -> str:
    """A LATERAL subquery: the postings of `word` (a row with lexeme, language) in the visible documents,
    selected inside the (lexeme, language, document) index. `OFFSET 0`: one index scan per word, no hash
    join over a whole posting list."""
    return f"""(
        SELECT c.chunk_id, c.document_id, (c.tf_body + %(heading_boost)s * c.tf_head)::float8 AS tf, c.dl
        FROM chunk_terms AS c
        WHERE c.lexeme = {word}.lexeme AND c.language = {word}.language
          AND c.document_id = ANY ({VISIBLE_IDS})
        OFFSET 0
    )"""


def passage_posting(word: str, passage: str) -> str:
    """A LATERAL subquery: the posting of `word` in one passage (a row with chunk_id, document_id), if
    any: a probe by primary key."""
    return f"""(
            SELECT (c.tf_body + %(heading_boost)s * c.tf_head)::float8 AS tf, c.dl FROM chunk_terms AS c
            WHERE c.lexeme = {word}.lexeme AND c.language = {word}.language
              AND c.document_id = {passage}.document_id AND c.chunk_id = {passage}.chunk_id
            OFFSET 0
        )"""


def fully_scored_best(best: str, full: str, passages: str, words: str, *, best_of: int) -> str:
    """CTEs `best` and `full`: the best `best_of` x `candidates` of `passages` (chunk_id, document_id,
    language, score) by score, and their full scores, with the BM25 terms of `words` (lexeme, language,
    idf) probed. The `candidates`-th full score is a lower bound of the final `candidates`-th score. Both
    MATERIALIZED: the bound is read more than once, and an inlined CTE would probe the passages each time.
    Equal partial scores go by id here, not by content (`_ties`): which of them are probed changes only
    how tight the bound is, never which passages the leg returns (every passage at or above the final
    cut-off stays above any such bound), so no lookup is spent on them."""
    return f"""
{best} AS MATERIALIZED (
    SELECT chunk_id, document_id, language, score FROM {passages}
    ORDER BY score DESC, chunk_id LIMIT {int(best_of)} * %(candidates)s
),
{full} AS MATERIALIZED (
    SELECT tp.score + coalesce(ne.score, 0) AS score
    FROM {best} AS tp CROSS JOIN LATERAL (
        SELECT sum({bm25("qs.idf", "t.tf", "t.dl")}) AS score
        FROM {words} AS qs CROSS JOIN stats AS s CROSS JOIN LATERAL {passage_posting("qs", "tp")} AS t
        WHERE qs.language = tp.language
    ) AS ne
)"""


def lower_bound(full: str) -> str:
    """The `candidates`-th score of `full` (NULL if fewer), lowered by a relative 1e-9: the same passage's
    score, summed in another order further on, may differ in its last bits, and must not fall under its
    own bound (a 10th passage was lost that way)."""
    return f"((SELECT score FROM {full} ORDER BY score DESC OFFSET %(candidates)s - 1 LIMIT 1) * (1 - 1e-9))"


def add_words(name: str, passages: str, words: str, *, probe_cost: int) -> str:
    """CTEs ending in `name`: each of `passages` (chunk_id, document_id, language, score, matched_idf) with
    the BM25 terms of `words` (lexeme, language, df, idf) added, exactly. Probed passage by passage, or
    the words' visible postings read in full when that is cheaper (a probe costs about `probe_cost`
    postings); passed through as they are when there are no words."""
    return f"""
{name}_plan AS MATERIALIZED (
    SELECT count(*) = 0 AS none,
           (SELECT count(*) FROM {passages}) * count(*) * {int(probe_cost)} <= coalesce(sum(df), 0) AS probe
    FROM {words} AS w
),
{name}_scan AS (
    SELECT t.chunk_id, sum({bm25("qs.idf", "t.tf", "t.dl")}) AS score, sum(qs.idf) AS idf
    FROM {words} AS qs CROSS JOIN stats AS s CROSS JOIN LATERAL {visible_postings("qs")} AS t
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
        SELECT sum({bm25("qs.idf", "t.tf", "t.dl")}) AS score, sum(qs.idf) AS idf
        FROM {words} AS qs CROSS JOIN stats AS s CROSS JOIN LATERAL {passage_posting("qs", "sv")} AS t
        WHERE qs.language = sv.language
    ) AS ne
    WHERE (SELECT probe AND NOT none FROM {name}_plan)
)"""


def staged_additions(stages: int, *, probe_cost: int) -> str:
    """CTEs ending in `all_added`: the survivors with every pruned word added, stage by stage (`q_stage`
    numbers the words; between two stages the passages that can no longer reach the lower bound, even
    with every word still to add, are dropped)."""
    out, passages = [], "survivors"
    for i in range(1, stages + 1):
        out.append(add_words(f"added_{i}", passages, f"(SELECT * FROM q_stage WHERE stage = {i})",
                             probe_cost=probe_cost) + ",")  # fmt: skip
        if i < stages:
            out.append(f"""
kept_{i} AS MATERIALIZED (
    SELECT w.* FROM added_{i} AS w LEFT JOIN rest_bound AS r ON r.language = w.language AND r.after = {i}
    WHERE w.score + coalesce(r.ub, 0) >= (SELECT lb FROM lower)
),""")
            passages = f"kept_{i}"
    out.append(f"\nall_added AS (SELECT * FROM added_{stages})")
    return "".join(out)
