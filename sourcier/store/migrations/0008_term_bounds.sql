-- Tighter BM25 upper bounds for the full-text leg's pruning (see docs/benchmarks.md).
-- idf * (k1 + 1) bounds a word's contribution whatever its frequency and the passage's length, and was
-- often too loose for the pruning to hold on common words. Per (word, document): its largest term
-- frequencies and the shortest passage holding it, so that the bound over the caller's visible documents
-- is the BM25 term at (max tf, min length): still exact, computed from visible documents only.
ALTER TABLE document_terms
    ADD COLUMN max_tf_body smallint NOT NULL DEFAULT 32767,  -- safe defaults (a loose bound) until filled
    ADD COLUMN max_tf_head smallint NOT NULL DEFAULT 32767,
    ADD COLUMN min_dl integer NOT NULL DEFAULT 0;
UPDATE document_terms AS dt SET max_tf_body = x.max_tf_body, max_tf_head = x.max_tf_head, min_dl = x.min_dl
FROM (
    SELECT lexeme, language, document_id, max(tf_body) AS max_tf_body, max(tf_head) AS max_tf_head, min(dl) AS min_dl
    FROM chunk_terms GROUP BY lexeme, language, document_id
) AS x
WHERE (dt.lexeme, dt.language, dt.document_id) = (x.lexeme, x.language, x.document_id);
ALTER TABLE document_terms
    ALTER COLUMN max_tf_body DROP DEFAULT, ALTER COLUMN max_tf_head DROP DEFAULT, ALTER COLUMN min_dl DROP DEFAULT;
ALTER TABLE document_terms DROP CONSTRAINT document_terms_pkey;
ALTER TABLE document_terms
    ADD PRIMARY KEY (lexeme, language, document_id) INCLUDE (n_chunks, max_tf_body, max_tf_head, min_dl);
