-- French stop words written with accents were indexed, which slowed the full-text leg (see
-- docs/benchmarks.md). `unaccent` ran before the French stemmer, whose stop list is accented:
-- "à" became the lexeme "a" (in 85% of the benchmark's passages), "été", "était", "étaient", "même"
-- became "ete", "etait", "etaient", "mem", and every question holding them read or probed tens of
-- thousands of postings that rank nothing. A filter with PostgreSQL's own French stop list now runs
-- before `unaccent` (a `simple` dictionary that accepts nothing: a stop word ends there, any other word
-- goes on to `unaccent` and the stemmer, as before). Unaccented stop words were already dropped by the
-- stemmer's own list.
CREATE TEXT SEARCH DICTIONARY french_stopwords (TEMPLATE = simple, STOPWORDS = french, ACCEPT = false);
ALTER TEXT SEARCH CONFIGURATION fr_unaccent
    ALTER MAPPING FOR hword, hword_part, word WITH french_stopwords, unaccent, french_stem;

-- Postings are now computed from the passage's heading and text when it is written (store/chunks.py):
-- the stored tsvector was read only to build them, and its GIN index by nothing.
ALTER TABLE chunks DROP COLUMN tsv;

-- Re-index the documents whose postings hold a lexeme that only those stop words made (the accented
-- stop words of PostgreSQL's list, unaccented and stemmed); the others come out the same. The same
-- SQL as store/chunks.py, for many documents at once.
CREATE TEMPORARY TABLE restemmed ON COMMIT DROP AS
SELECT DISTINCT document_id AS id FROM chunk_terms
WHERE language = 'fr' AND lexeme = ANY ('{a,ete,etant,etais,etait,etion,eti,etaient,fum,fut,eum,eut,mem}');

DELETE FROM document_terms WHERE document_id IN (SELECT id FROM restemmed);
DELETE FROM chunk_terms WHERE document_id IN (SELECT id FROM restemmed);

INSERT INTO chunk_terms (lexeme, language, chunk_id, document_id, tf_body, tf_head, dl)
SELECT lexeme, language, chunk_id, document_id, tf_body, tf_head, sum(tf_body + tf_head) OVER (PARTITION BY chunk_id)
FROM (
    SELECT t.lexeme, c.language, c.id AS chunk_id, c.document_id,
           (SELECT count(*) FROM unnest(t.weights) AS w WHERE w <> 'A')::smallint AS tf_body,
           (SELECT count(*) FROM unnest(t.weights) AS w WHERE w = 'A')::smallint AS tf_head
    FROM chunks AS c CROSS JOIN LATERAL (
        SELECT CASE WHEN c.language = 'en' THEN 'en_unaccent'::regconfig ELSE 'fr_unaccent'::regconfig END AS cfg
    ) AS l
    CROSS JOIN LATERAL unnest(setweight(to_tsvector(l.cfg, c.heading), 'A') || setweight(to_tsvector(l.cfg, c.text), 'D')) AS t
    WHERE c.document_id IN (SELECT id FROM restemmed)
) AS postings;

INSERT INTO document_terms (lexeme, language, document_id, n_chunks, max_tf_body, max_tf_head, min_dl)
SELECT lexeme, language, document_id, count(*), max(tf_body), max(tf_head), min(dl)
FROM chunk_terms WHERE document_id IN (SELECT id FROM restemmed)
GROUP BY lexeme, language, document_id;

UPDATE documents AS d
SET n_terms = (SELECT coalesce(sum(tf_body + tf_head), 0) FROM chunk_terms WHERE document_id = d.id)
WHERE d.id IN (SELECT id FROM restemmed);

-- Most postings were rewritten in place: rebuild their indexes compact, since the full-text leg reads
-- them by index only (2.5 times their size otherwise at 100k passages, and slower to read). `migrate`
-- vacuums afterwards, which index-only scans need too.
REINDEX TABLE chunk_terms;
REINDEX TABLE document_terms;
