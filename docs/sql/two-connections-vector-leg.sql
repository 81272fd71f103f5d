-- Hybrid on two connections, side connection (the first's snapshot): the vector leg's candidates.
-- Rendered from sourcier/store/search/ with SearchParams() and a 384-dimension model; %(name)s are the
-- parameters bound at run time (`bind`). Do not edit: `python -m sourcier.store.search --render docs/sql`.
WITH
visible AS MATERIALIZED (
    SELECT id, n_chunks, n_terms FROM documents
    WHERE status = 'indexed' AND acl && %(principals)s::text[]
),
stats AS (
    SELECT greatest(sum(n_chunks), 1)::float8 AS n, coalesce(sum(n_chunks), 0) AS readable,
           greatest(sum(n_terms)::float8 / greatest(sum(n_chunks), 1), 1) AS avgdl
    FROM visible
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
)
SELECT chunk_id, distance FROM vec ORDER BY ord
