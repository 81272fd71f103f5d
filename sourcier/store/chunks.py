"""Passages: text, position, vector and full-text postings, replaced per document in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from psycopg import Connection

from sourcier.embed import text_hash
from sourcier.types import Chunk

INDEXED_LANGUAGES = ("fr", "en")  # one stemmer each; other languages are indexed as French

_DELETE_TERMS = "DELETE FROM chunk_terms WHERE document_id = %(doc)s"
_DELETE_DOCUMENT_TERMS = "DELETE FROM document_terms WHERE document_id = %(doc)s"
_DELETE_CHUNKS = "DELETE FROM chunks WHERE document_id = %(doc)s"

_COPY_CHUNKS = """
COPY chunks (document_id, position, kind, heading, text, page, char_start, char_end, n_tokens,
             text_hash, language, embedding_model, embedding_dim, embedding, acl)
FROM STDIN WITH (FORMAT BINARY)
"""
_COPY_TYPES = [
    "bigint", "integer", "text", "text", "text", "integer", "integer", "integer", "integer",
    "bytea", "text", "text", "integer", "vector", "text[]",
]  # fmt: skip

# Postings from the passage's heading and text: heading words carry weight A, body words weight D.
# Migration 0011 re-indexes with the same SQL.
_INSERT_TERMS = """
INSERT INTO chunk_terms (lexeme, language, chunk_id, document_id, tf_body, tf_head, dl)
SELECT lexeme, language, chunk_id, document_id, tf_body, tf_head, sum(tf_body + tf_head) OVER (PARTITION BY chunk_id)
FROM (
    SELECT t.lexeme, c.language, c.id AS chunk_id, c.document_id,
           (SELECT count(*) FROM unnest(t.weights) AS w WHERE w <> 'A')::smallint AS tf_body,
           (SELECT count(*) FROM unnest(t.weights) AS w WHERE w = 'A')::smallint AS tf_head
    FROM chunks AS c CROSS JOIN LATERAL (
        SELECT CASE WHEN c.language = 'en' THEN 'en_unaccent'::regconfig ELSE 'fr_unaccent'::regconfig END AS cfg
    ) AS l
    CROSS JOIN LATERAL unnest(setweight(to_tsvector(l.cfg, c.heading), 'A')
                              || setweight(to_tsvector(l.cfg, c.text), 'D')) AS t
    WHERE c.document_id = %(doc)s
) AS postings
"""

# Per-document passage counts of each lexeme: document frequencies over a caller's visible documents
# are summed from one row per visible document (search/_fulltext.py) instead of counted over every posting; with
# the largest term frequencies and the shortest passage, for the pruning's upper bounds.
_INSERT_DOCUMENT_TERMS = """
INSERT INTO document_terms (lexeme, language, document_id, n_chunks, max_tf_body, max_tf_head, min_dl)
SELECT lexeme, language, document_id, count(*), max(tf_body), max(tf_head), min(dl)
FROM chunk_terms WHERE document_id = %(doc)s
GROUP BY lexeme, language, document_id
"""

_UPDATE_DOCUMENT_STATS = """
UPDATE documents SET
    n_chunks = (SELECT count(*) FROM chunks WHERE document_id = %(doc)s),
    n_terms = (SELECT coalesce(sum(tf_body + tf_head), 0) FROM chunk_terms WHERE document_id = %(doc)s)
WHERE id = %(doc)s
"""


def delete_passages(conn: Connection[Any], document_id: int) -> None:
    """Remove a document's passages and their postings (inside the caller's transaction)."""
    conn.execute(_DELETE_DOCUMENT_TERMS, {"doc": document_id})
    conn.execute(_DELETE_TERMS, {"doc": document_id})
    conn.execute(_DELETE_CHUNKS, {"doc": document_id})


def replace_chunks(
    conn: Connection[Any],
    document_id: int,
    chunks: Sequence[Chunk],
    vectors: npt.NDArray[np.float32],
    *,
    model_id: str,
    language: str,
    acl: Sequence[str],
) -> None:
    """Swap a document's passages for new ones. Call inside the document's transaction.

    Passages carry their document's access list (a copy, not indexed: migration 0003 dropped its GIN index)
    so that the vector leg can filter on it inside its HNSW index scan.
    """
    if len(chunks) != len(vectors):
        raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
    language = language if language in INDEXED_LANGUAGES else "fr"
    delete_passages(conn, document_id)
    dim = int(vectors.shape[1]) if len(vectors) else 0
    with conn.cursor() as cur, cur.copy(_COPY_CHUNKS) as copy:
        copy.set_types(_COPY_TYPES)
        for chunk, vec in zip(chunks, vectors, strict=True):
            copy.write_row(
                (
                    document_id,
                    chunk.position,
                    chunk.kind,
                    chunk.heading,
                    chunk.text,
                    chunk.page,
                    chunk.char_start,
                    chunk.char_end,
                    chunk.n_tokens,
                    text_hash(chunk.embedding_text),
                    language,
                    model_id,
                    dim,
                    vec,
                    list(acl),
                )
            )
    conn.execute(_INSERT_TERMS, {"doc": document_id})
    conn.execute(_INSERT_DOCUMENT_TERMS, {"doc": document_id})
    conn.execute(_UPDATE_DOCUMENT_STATS, {"doc": document_id})
