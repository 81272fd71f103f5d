-- A vector search (top k only).
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
ft AS (SELECT NULL::bigint AS chunk_id, NULL::float8 AS score, NULL::float8 AS coverage, NULL::bigint AS ord WHERE false),

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
