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

vec AS MATERIALIZED (
    (SELECT e.chunk_id, e.distance FROM (
        SELECT c.id AS chunk_id, c.embedding::vector(384) <=> %(qvec)s::vector(384) AS distance
        FROM chunks AS c
        WHERE (SELECT readable FROM stats) < %(exact_below)s
          AND c.document_id = ANY (ARRAY(SELECT id FROM visible ORDER BY id))
          AND c.embedding_dim = 384 AND c.embedding_model = %(model)s
        OFFSET 0
     ) AS e
     ORDER BY e.distance, e.chunk_id
     LIMIT %(candidates)s)
    UNION ALL
    (SELECT c.id AS chunk_id, c.embedding::vector(384) <=> %(qvec)s::vector(384) AS distance
     FROM chunks AS c
     WHERE (SELECT readable FROM stats) >= %(exact_below)s
       AND c.embedding_dim = 384 AND c.embedding_model = %(model)s AND c.acl && %(principals)s::text[]
     ORDER BY c.embedding::vector(384) <=> %(qvec)s::vector(384)
     LIMIT %(candidates)s)
)
SELECT * FROM vec
