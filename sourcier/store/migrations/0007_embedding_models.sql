-- Changing the embedding model without a gap in search (ADR 0005, "Changing the embedding model").
-- `chunks.embedding` holds the vectors of the active model, the only ones searched. A new model's
-- vectors are built beside them in `embedding_cache` (by text hash, so identical passages are embedded
-- once and a crash loses nothing), then one transaction copies them into `chunks` and makes the new
-- model active. At most one model is active and at most one is being built.
CREATE TABLE embedding_models (
    model_id      text PRIMARY KEY,
    dimension     integer NOT NULL CHECK (dimension > 0),
    state         text NOT NULL CHECK (state IN ('active', 'building')),
    started_at    timestamptz NOT NULL DEFAULT now(),
    activated_at  timestamptz
);
CREATE UNIQUE INDEX embedding_models_one_active ON embedding_models ((true)) WHERE state = 'active';
CREATE UNIQUE INDEX embedding_models_one_building ON embedding_models ((true)) WHERE state = 'building';

-- An existing index: the model most of its passages use is the active one (a reindex brings the others in).
INSERT INTO embedding_models (model_id, dimension, state, activated_at)
SELECT embedding_model, max(embedding_dim), 'active', now() FROM chunks
GROUP BY embedding_model ORDER BY count(*) DESC LIMIT 1;

GRANT SELECT ON embedding_models TO sourcier_reader;

-- HNSW needs a fixed dimension per index: one partial index per dimension in use. 384 exists (0001);
-- these are the sizes of common OpenAI-compatible models. They are empty, hence free, until a model of
-- that size becomes active; another size works too, with an exact scan instead of HNSW.
CREATE INDEX chunks_embedding_768 ON chunks
    USING hnsw ((embedding::vector(768)) vector_cosine_ops) WHERE embedding_dim = 768;
CREATE INDEX chunks_embedding_1024 ON chunks
    USING hnsw ((embedding::vector(1024)) vector_cosine_ops) WHERE embedding_dim = 1024;
CREATE INDEX chunks_embedding_1536 ON chunks
    USING hnsw ((embedding::vector(1536)) vector_cosine_ops) WHERE embedding_dim = 1536;
