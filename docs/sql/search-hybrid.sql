-- A hybrid search in one statement: both legs, fusion, fetch.
-- Rendered from sourcier/store/search/ with SearchParams() and a 384-dimension model; %(name)s are the
-- parameters bound at run time (`bind`). Do not edit: `python -m sourcier.store.search --render docs/sql`.
WITH
q AS (
    SELECT DISTINCT lexeme, language FROM (
        SELECT (unnest(to_tsvector('fr_unaccent'::regconfig, %(query)s))).lexeme, 'fr' AS language
        UNION ALL
        SELECT (unnest(to_tsvector('en_unaccent'::regconfig, %(query)s))).lexeme, 'en' AS language
    ) AS both_languages
),

visible AS MATERIALIZED (
    SELECT id, n_chunks, n_terms FROM documents
    WHERE status = 'indexed' AND acl && %(principals)s::text[]
),
stats AS (
    SELECT greatest(sum(n_chunks), 1)::float8 AS n, coalesce(sum(n_chunks), 0) AS readable,
           greatest(sum(n_terms)::float8 / greatest(sum(n_chunks), 1), 1) AS avgdl
    FROM visible
),

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
          AND dt.document_id = ANY (ARRAY(SELECT id FROM visible ORDER BY id))
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
    FROM q_split AS qs CROSS JOIN LATERAL (
        SELECT c.chunk_id, c.document_id, (c.tf_body + %(heading_boost)s * c.tf_head)::float8 AS tf, c.dl
        FROM chunk_terms AS c
        WHERE c.lexeme = qs.lexeme AND c.language = qs.language
          AND c.document_id = ANY (ARRAY(SELECT id FROM visible ORDER BY id))
        OFFSET 0
    ) AS t
    WHERE qs.essential AND qs.df > 0  -- a word no visible passage holds has nothing to read
),
partial AS MATERIALIZED (
    SELECT p.chunk_id, p.document_id, p.language, sum(p.idf) AS matched_idf,
           sum(p.idf * p.tf * (%(k1)s + 1) / (p.tf + %(k1)s * (1 - %(b)s + %(b)s * p.dl / s.avgdl))) AS score
    FROM e_postings AS p CROSS JOIN stats AS s
    GROUP BY p.chunk_id, p.document_id, p.language
),
ne_bound AS (SELECT language, sum(ub) AS ub FROM q_split WHERE NOT essential GROUP BY language),
-- The best passages by partial score, their common words probed: the first lower bound.

top_partial AS MATERIALIZED (
    SELECT chunk_id, document_id, language, score FROM partial
    ORDER BY score DESC, chunk_id LIMIT 3 * %(candidates)s
),
top_full AS MATERIALIZED (
    SELECT tp.score + coalesce(ne.score, 0) AS score
    FROM top_partial AS tp CROSS JOIN LATERAL (
        SELECT sum(qs.idf * t.tf * (%(k1)s + 1) / (t.tf + %(k1)s * (1 - %(b)s + %(b)s * t.dl / s.avgdl))) AS score
        FROM (SELECT * FROM q_split WHERE NOT essential) AS qs CROSS JOIN stats AS s CROSS JOIN LATERAL (
            SELECT (c.tf_body + %(heading_boost)s * c.tf_head)::float8 AS tf, c.dl FROM chunk_terms AS c
            WHERE c.lexeme = qs.lexeme AND c.language = qs.language
              AND c.document_id = tp.document_id AND c.chunk_id = tp.chunk_id
            OFFSET 0
        ) AS t
        WHERE qs.language = tp.language
    ) AS ne
),
pruning AS MATERIALIZED (
    SELECT coalesce(th.lb, 0) AS lb, coalesce(ne.ub = 0 OR th.lb > ne.ub, false) AS exact
    FROM (SELECT ((SELECT score FROM top_full ORDER BY score DESC OFFSET %(candidates)s - 1 LIMIT 1) * (1 - 1e-9)) AS lb) AS th
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
        SELECT t.chunk_id, t.document_id, qp.language, qp.idf, qp.idf * t.tf * (%(k1)s + 1) / (t.tf + %(k1)s * (1 - %(b)s + %(b)s * t.dl / s.avgdl))
        FROM q_promoted AS qp CROSS JOIN stats AS s CROSS JOIN LATERAL (
        SELECT c.chunk_id, c.document_id, (c.tf_body + %(heading_boost)s * c.tf_head)::float8 AS tf, c.dl
        FROM chunk_terms AS c
        WHERE c.lexeme = qp.lexeme AND c.language = qp.language
          AND c.document_id = ANY (ARRAY(SELECT id FROM visible ORDER BY id))
        OFFSET 0
    ) AS t
    ) AS both_parts
    GROUP BY chunk_id, document_id, language
),
-- A tighter lower bound once words were promoted: the best passages by partial score with the promoted
-- words in, their pruned words probed; the greater of the two bounds decides which passages survive
-- (nothing to do when none was promoted: `promoted_partial` is empty). The first bound came from the
-- essential words alone, and when it was too loose to prune every common word it was also too loose
-- to prune many passages: thousands of survivors for questions read with a small budget.

top_promoted AS MATERIALIZED (
    SELECT chunk_id, document_id, language, score FROM promoted_partial
    ORDER BY score DESC, chunk_id LIMIT 3 * %(candidates)s
),
top_promoted_full AS MATERIALIZED (
    SELECT tp.score + coalesce(ne.score, 0) AS score
    FROM top_promoted AS tp CROSS JOIN LATERAL (
        SELECT sum(qs.idf * t.tf * (%(k1)s + 1) / (t.tf + %(k1)s * (1 - %(b)s + %(b)s * t.dl / s.avgdl))) AS score
        FROM q_pruned AS qs CROSS JOIN stats AS s CROSS JOIN LATERAL (
            SELECT (c.tf_body + %(heading_boost)s * c.tf_head)::float8 AS tf, c.dl FROM chunk_terms AS c
            WHERE c.lexeme = qs.lexeme AND c.language = qs.language
              AND c.document_id = tp.document_id AND c.chunk_id = tp.chunk_id
            OFFSET 0
        ) AS t
        WHERE qs.language = tp.language
    ) AS ne
),
lower AS MATERIALIZED (
    SELECT greatest((SELECT lb FROM pruning), coalesce(((SELECT score FROM top_promoted_full ORDER BY score DESC OFFSET %(candidates)s - 1 LIMIT 1) * (1 - 1e-9)), 0)) AS lb
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
    SELECT *, least(row_number() OVER (PARTITION BY language ORDER BY ub DESC, lexeme), 2) AS stage
    FROM q_pruned
),
rest_bound AS (
    SELECT qs.language, a.after, sum(qs.ub) AS ub
    FROM q_stage AS qs CROSS JOIN generate_series(1, 1) AS a (after)
    WHERE qs.stage > a.after GROUP BY qs.language, a.after
),

added_1_plan AS MATERIALIZED (
    SELECT count(*) = 0 AS none,
           (SELECT count(*) FROM survivors) * count(*) * 5 <= coalesce(sum(df), 0) AS probe
    FROM (SELECT * FROM q_stage WHERE stage = 1) AS w
),
added_1_scan AS (
    SELECT t.chunk_id, sum(qs.idf * t.tf * (%(k1)s + 1) / (t.tf + %(k1)s * (1 - %(b)s + %(b)s * t.dl / s.avgdl))) AS score, sum(qs.idf) AS idf
    FROM (SELECT * FROM q_stage WHERE stage = 1) AS qs CROSS JOIN stats AS s CROSS JOIN LATERAL (
        SELECT c.chunk_id, c.document_id, (c.tf_body + %(heading_boost)s * c.tf_head)::float8 AS tf, c.dl
        FROM chunk_terms AS c
        WHERE c.lexeme = qs.lexeme AND c.language = qs.language
          AND c.document_id = ANY (ARRAY(SELECT id FROM visible ORDER BY id))
        OFFSET 0
    ) AS t
    WHERE NOT (SELECT probe OR none FROM added_1_plan)
    GROUP BY t.chunk_id
),
added_1 AS MATERIALIZED (
    SELECT sv.chunk_id, sv.document_id, sv.language, sv.score, sv.matched_idf
    FROM survivors AS sv
    WHERE (SELECT none FROM added_1_plan)
    UNION ALL
    SELECT sv.chunk_id, sv.document_id, sv.language, sv.score + coalesce(ns.score, 0) AS score,
           sv.matched_idf + coalesce(ns.idf, 0) AS matched_idf
    FROM survivors AS sv LEFT JOIN added_1_scan AS ns USING (chunk_id)
    WHERE NOT (SELECT probe OR none FROM added_1_plan)
    UNION ALL
    SELECT sv.chunk_id, sv.document_id, sv.language, sv.score + coalesce(ne.score, 0),
           sv.matched_idf + coalesce(ne.idf, 0)
    FROM survivors AS sv CROSS JOIN LATERAL (
        SELECT sum(qs.idf * t.tf * (%(k1)s + 1) / (t.tf + %(k1)s * (1 - %(b)s + %(b)s * t.dl / s.avgdl))) AS score, sum(qs.idf) AS idf
        FROM (SELECT * FROM q_stage WHERE stage = 1) AS qs CROSS JOIN stats AS s CROSS JOIN LATERAL (
            SELECT (c.tf_body + %(heading_boost)s * c.tf_head)::float8 AS tf, c.dl FROM chunk_terms AS c
            WHERE c.lexeme = qs.lexeme AND c.language = qs.language
              AND c.document_id = sv.document_id AND c.chunk_id = sv.chunk_id
            OFFSET 0
        ) AS t
        WHERE qs.language = sv.language
    ) AS ne
    WHERE (SELECT probe AND NOT none FROM added_1_plan)
),
kept_1 AS MATERIALIZED (
    SELECT w.* FROM added_1 AS w LEFT JOIN rest_bound AS r ON r.language = w.language AND r.after = 1
    WHERE w.score + coalesce(r.ub, 0) >= (SELECT lb FROM lower)
),
added_2_plan AS MATERIALIZED (
    SELECT count(*) = 0 AS none,
           (SELECT count(*) FROM kept_1) * count(*) * 5 <= coalesce(sum(df), 0) AS probe
    FROM (SELECT * FROM q_stage WHERE stage = 2) AS w
),
added_2_scan AS (
    SELECT t.chunk_id, sum(qs.idf * t.tf * (%(k1)s + 1) / (t.tf + %(k1)s * (1 - %(b)s + %(b)s * t.dl / s.avgdl))) AS score, sum(qs.idf) AS idf
    FROM (SELECT * FROM q_stage WHERE stage = 2) AS qs CROSS JOIN stats AS s CROSS JOIN LATERAL (
        SELECT c.chunk_id, c.document_id, (c.tf_body + %(heading_boost)s * c.tf_head)::float8 AS tf, c.dl
        FROM chunk_terms AS c
        WHERE c.lexeme = qs.lexeme AND c.language = qs.language
          AND c.document_id = ANY (ARRAY(SELECT id FROM visible ORDER BY id))
        OFFSET 0
    ) AS t
    WHERE NOT (SELECT probe OR none FROM added_2_plan)
    GROUP BY t.chunk_id
),
added_2 AS MATERIALIZED (
    SELECT sv.chunk_id, sv.document_id, sv.language, sv.score, sv.matched_idf
    FROM kept_1 AS sv
    WHERE (SELECT none FROM added_2_plan)
    UNION ALL
    SELECT sv.chunk_id, sv.document_id, sv.language, sv.score + coalesce(ns.score, 0) AS score,
           sv.matched_idf + coalesce(ns.idf, 0) AS matched_idf
    FROM kept_1 AS sv LEFT JOIN added_2_scan AS ns USING (chunk_id)
    WHERE NOT (SELECT probe OR none FROM added_2_plan)
    UNION ALL
    SELECT sv.chunk_id, sv.document_id, sv.language, sv.score + coalesce(ne.score, 0),
           sv.matched_idf + coalesce(ne.idf, 0)
    FROM kept_1 AS sv CROSS JOIN LATERAL (
        SELECT sum(qs.idf * t.tf * (%(k1)s + 1) / (t.tf + %(k1)s * (1 - %(b)s + %(b)s * t.dl / s.avgdl))) AS score, sum(qs.idf) AS idf
        FROM (SELECT * FROM q_stage WHERE stage = 2) AS qs CROSS JOIN stats AS s CROSS JOIN LATERAL (
            SELECT (c.tf_body + %(heading_boost)s * c.tf_head)::float8 AS tf, c.dl FROM chunk_terms AS c
            WHERE c.lexeme = qs.lexeme AND c.language = qs.language
              AND c.document_id = sv.document_id AND c.chunk_id = sv.chunk_id
            OFFSET 0
        ) AS t
        WHERE qs.language = sv.language
    ) AS ne
    WHERE (SELECT probe AND NOT none FROM added_2_plan)
),
all_added AS (SELECT * FROM added_2),
ft_scored AS (
    SELECT a.chunk_id, a.score, a.matched_idf / nullif(qt.idf, 0) AS coverage
    FROM all_added AS a JOIN q_total AS qt USING (language)
),
-- The top `candidates`, and every passage tied with the last of them: content breaks those ties (`_ties`).
ft_top AS (
    SELECT chunk_id, score, coverage FROM ft_scored
    ORDER BY score DESC FETCH FIRST %(candidates)s ROWS WITH TIES
),
ft AS MATERIALIZED (
    SELECT t.chunk_id, t.score, t.coverage, row_number() OVER (ORDER BY t.score DESC, k.path, k.uri, k.position, t.chunk_id) AS ord
    FROM (SELECT *, count(*) OVER (PARTITION BY score) > 1 AS tied FROM ft_top) AS t
    LEFT JOIN LATERAL (
        SELECT d.path, d.uri, c.position
        FROM chunks AS c JOIN documents AS d ON d.id = c.document_id
        WHERE t.tied AND c.id = t.chunk_id
        OFFSET 0
    ) AS k ON true
    ORDER BY ord
    LIMIT %(candidates)s
),

vec_scan AS NOT MATERIALIZED (
    SELECT c.id AS chunk_id, c.embedding::vector(384) <=> %(qvec)s::vector(384) AS distance
    FROM chunks AS c
    WHERE (SELECT readable FROM stats) < %(exact_below)s
      AND c.document_id = ANY (ARRAY(SELECT id FROM visible ORDER BY id))
      AND c.embedding_dim = 384 AND c.embedding_model = %(model)s
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
    (SELECT c.id AS chunk_id, c.embedding::vector(384) <=> %(qvec)s::vector(384) AS distance
     FROM chunks AS c
     WHERE (SELECT readable FROM stats) >= %(exact_below)s
       AND c.embedding_dim = 384 AND c.embedding_model = %(model)s AND c.acl && %(principals)s::text[]
     ORDER BY c.embedding::vector(384) <=> %(qvec)s::vector(384)
     LIMIT %(candidates)s)
),
vec AS MATERIALIZED (
    SELECT t.chunk_id, t.distance, row_number() OVER (ORDER BY t.distance, k.path, k.uri, k.position, t.chunk_id) AS ord
    FROM (SELECT *, count(*) OVER (PARTITION BY distance) > 1 AS tied FROM vec_found) AS t
    LEFT JOIN LATERAL (
        SELECT d.path, d.uri, c.position
        FROM chunks AS c JOIN documents AS d ON d.id = c.document_id
        WHERE t.tied AND c.id = t.chunk_id
        OFFSET 0
    ) AS k ON true
    ORDER BY ord
    LIMIT %(candidates)s
),

ft_ranked AS (
    SELECT chunk_id, score, coverage, ord AS rank, min(score) OVER () AS lo, max(score) OVER () AS hi
    FROM ft
),
vec_ranked AS (
    SELECT chunk_id, 1 - distance AS score, ord AS rank,
           min(1 - distance) OVER () AS lo, max(1 - distance) OVER () AS hi
    FROM vec
),

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
ORDER BY fz.score DESC, coalesce(fz.coverage, 0) DESC, d.path, d.uri, c.position, c.id
LIMIT %(k)s
