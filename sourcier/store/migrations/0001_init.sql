-- The first schema: sources, documents, passages (chunks) with their vectors and full-text postings,
-- and the embedding cache. Access lists arrive in a later migration (documents and chunks get a
-- principals column then).

CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS unaccent;

-- French and English full text that match accented and unaccented forms both ways:
-- unaccent first, then the language's stemmer.
CREATE TEXT SEARCH CONFIGURATION fr_unaccent (COPY = french);
ALTER TEXT SEARCH CONFIGURATION fr_unaccent
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
CREATE TEXT SEARCH CONFIGURATION en_unaccent (COPY = english);
ALTER TEXT SEARCH CONFIGURATION en_unaccent
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;

CREATE TABLE sources (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    kind        text NOT NULL DEFAULT 'filesystem',
    location    text NOT NULL,
    settings    jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE documents (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_id     bigint NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    uri           text NOT NULL,                 -- stable identity inside the source
    path          text NOT NULL,                 -- where a person finds the original
    title         text,
    mime_type     text,
    size_bytes    bigint,
    modified_at   timestamptz,
    content_hash  bytea,                         -- sha256 of the file's bytes
    language      text,
    page_count    integer,
    body          text,                          -- extracted text; chunk spans point into it
    chunking      text,                          -- fingerprint of the splitter settings used
    n_chunks      integer NOT NULL DEFAULT 0,    -- BM25 corpus statistics, kept per document so that
    n_terms       bigint NOT NULL DEFAULT 0,     -- writers never contend on one counter row
    status        text NOT NULL CHECK (status IN ('indexed', 'failed')),
    error         text,
    indexed_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source_id, uri)
);
CREATE INDEX documents_status ON documents (status);
CREATE INDEX documents_content_hash ON documents (content_hash);

CREATE TABLE chunks (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id      bigint NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    position         integer NOT NULL,
    kind             text NOT NULL DEFAULT 'text',
    heading          text NOT NULL DEFAULT '',
    text             text NOT NULL,
    page             integer,
    char_start       integer NOT NULL,
    char_end         integer NOT NULL,
    n_tokens         integer NOT NULL,
    text_hash        bytea NOT NULL,             -- sha256 of what was embedded (heading + text)
    language         text NOT NULL CHECK (language IN ('fr', 'en')),
    tsv              tsvector GENERATED ALWAYS AS (
                         setweight(to_tsvector(CASE WHEN language = 'en' THEN 'en_unaccent'::regconfig
                                                    ELSE 'fr_unaccent'::regconfig END, heading), 'A')
                         || setweight(to_tsvector(CASE WHEN language = 'en' THEN 'en_unaccent'::regconfig
                                                       ELSE 'fr_unaccent'::regconfig END, text), 'D')) STORED,
    embedding_model  text NOT NULL,
    embedding_dim    integer NOT NULL,
    embedding        vector NOT NULL,
    UNIQUE (document_id, position)
);
CREATE INDEX chunks_tsv ON chunks USING gin (tsv);
-- One HNSW index per dimension in use; 384 is the default model's (multilingual-e5-small).
CREATE INDEX chunks_embedding_384 ON chunks
    USING hnsw ((embedding::vector(384)) vector_cosine_ops) WHERE embedding_dim = 384;

-- Full-text postings for BM25: one row per (lexeme, passage), written with the passage.
-- Term frequencies are kept apart for headings and body so that the heading weight stays a query setting.
CREATE TABLE chunk_terms (
    lexeme       text NOT NULL,
    language     text NOT NULL,                 -- the stemmer that made the lexeme (the passage's language)
    chunk_id     bigint NOT NULL,
    document_id  bigint NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    tf_body      smallint NOT NULL,
    tf_head      smallint NOT NULL,
    dl           integer NOT NULL,              -- passage length in indexed words
    PRIMARY KEY (lexeme, chunk_id) INCLUDE (language, document_id, tf_body, tf_head, dl)
);
CREATE INDEX chunk_terms_document ON chunk_terms (document_id);

-- Vectors by (model, text hash): identical passages are embedded once, re-ingesting reuses them.
CREATE TABLE embedding_cache (
    model_id    text NOT NULL,
    text_hash   bytea NOT NULL,
    embedding   vector NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model_id, text_hash)
);
