-- Faster exact BM25 under an access filter (see docs/benchmarks.md):
-- * Postings are looked up by (lexeme, language, document): a caller's visible documents select their
--   postings inside the index, instead of reading every posting of a word and discarding the forbidden
--   ones (at 1% readable, 99% of what was read was thrown away).
-- * `document_terms` counts, per document, the passages that contain a lexeme. A word's document
--   frequency among the caller's visible documents is a sum over at most one row per visible document,
--   not a count over every posting (90k for a common word at 100k passages). It is exact for any
--   audience, so scores still equal those of an index holding only what the caller may read.
ALTER TABLE chunk_terms DROP CONSTRAINT chunk_terms_pkey;
ALTER TABLE chunk_terms ADD PRIMARY KEY (lexeme, language, document_id, chunk_id) INCLUDE (tf_body, tf_head, dl);

CREATE TABLE document_terms (
    lexeme       text NOT NULL,
    language     text NOT NULL,
    document_id  bigint NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    n_chunks     integer NOT NULL,              -- passages of the document whose postings hold the lexeme
    PRIMARY KEY (lexeme, language, document_id) INCLUDE (n_chunks)
);
CREATE INDEX document_terms_document ON document_terms (document_id);
INSERT INTO document_terms (lexeme, language, document_id, n_chunks)
SELECT lexeme, language, document_id, count(*) FROM chunk_terms GROUP BY lexeme, language, document_id;

ALTER TABLE document_terms ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON document_terms TO sourcier_reader;
CREATE POLICY document_terms_read ON document_terms FOR SELECT TO sourcier_reader
    USING (document_id IN (SELECT id FROM documents));  -- documents' own policy applies inside
