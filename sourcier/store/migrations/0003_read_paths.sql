-- Faster read paths under row-level security (measured at 100k passages, docs/benchmarks.md):
-- * The GIN index on chunks.acl let the planner answer the policy's qual with a bitmap scan of every
--   readable passage instead of walking the HNSW index (8 s instead of milliseconds). Passages are
--   filtered inside the vector scan and through their document in the full-text leg: drop it.
-- * Document texts move out of `documents`, whose rows every full-text query scans for statistics.
DROP INDEX chunks_acl;

CREATE TABLE document_bodies (
    document_id  bigint PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    body         text NOT NULL
);
INSERT INTO document_bodies (document_id, body) SELECT id, body FROM documents WHERE body IS NOT NULL;
ALTER TABLE documents DROP COLUMN body;

ALTER TABLE document_bodies ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON document_bodies TO sourcier_reader;
CREATE POLICY document_bodies_read ON document_bodies FOR SELECT TO sourcier_reader
    USING (document_id IN (SELECT id FROM documents));
