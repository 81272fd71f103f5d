from datetime import UTC, datetime
from typing import Any

import numpy as np
from psycopg import Connection

from sourcier.store import chunks, documents, embeddings
from sourcier.types import Chunk


def _meta(uri: str) -> documents.DocumentMeta:
    return documents.DocumentMeta(uri, f"/data/{uri}", 10, datetime(2026, 1, 1, tzinfo=UTC), b"h" * 32)


def _chunk(pos: int, text: str, heading: tuple[str, ...] = ("Guide",)) -> Chunk:
    return Chunk(pos, text, heading, None, 0, len(text), "text", len(text.split()))


def _doc(conn: Connection[Any], uri: str = "a.md") -> int:
    src = documents.ensure_source(conn, "test", location="/data")
    return documents.upsert_indexed(
        conn, src, _meta(uri), title="Guide", mime_type="text/markdown", language="fr",
        page_count=None, body="x", chunking="c",
    )  # fmt: skip


def test_replacing_chunks_swaps_passages_postings_and_statistics(conn: Connection[Any]) -> None:
    doc = _doc(conn)
    vecs = np.eye(2, 384, dtype=np.float32)
    chunks.replace_chunks(conn, doc, [_chunk(0, "les congés payés"), _chunk(1, "le télétravail")], vecs,
                          model_id="m", language="fr", acl=["everyone"])  # fmt: skip
    assert conn.execute("SELECT n_chunks FROM documents WHERE id = %s", (doc,)).fetchone() == (2,)
    lexemes = {r[0] for r in conn.execute("SELECT lexeme FROM chunk_terms WHERE document_id = %s", (doc,))}
    assert {"cong", "teletravail", "guid"} <= lexemes
    heading = conn.execute("SELECT tf_head, tf_body FROM chunk_terms WHERE lexeme = 'guid' LIMIT 1").fetchone()
    assert heading == (1, 0)

    chunks.replace_chunks(conn, doc, [_chunk(0, "notes de frais")], vecs[:1], model_id="m", language="fr",
                          acl=["everyone"])  # fmt: skip
    texts = [r[0] for r in conn.execute("SELECT text FROM chunks WHERE document_id = %s", (doc,))]
    assert texts == ["notes de frais"]
    assert conn.execute("SELECT count(*) FROM chunk_terms WHERE lexeme = 'cong'").fetchone() == (0,)
    assert conn.execute("SELECT n_chunks FROM documents WHERE id = %s", (doc,)).fetchone() == (1,)


def test_english_documents_use_the_english_stemmer(conn: Connection[Any]) -> None:
    doc = _doc(conn)
    chunks.replace_chunks(conn, doc, [_chunk(0, "running policies", ())], np.eye(1, 384, dtype=np.float32),
                          model_id="m", language="en", acl=["everyone"])  # fmt: skip
    lexemes = {r[0] for r in conn.execute("SELECT lexeme FROM chunk_terms")}
    assert lexemes == {"run", "polici"}


def test_failure_removes_passages_of_the_previous_version(conn: Connection[Any]) -> None:
    doc = _doc(conn)
    chunks.replace_chunks(conn, doc, [_chunk(0, "texte")], np.eye(1, 384, dtype=np.float32), model_id="m",
                          language="fr", acl=["everyone"])  # fmt: skip
    documents.record_failure(conn, 1, _meta("a.md"), "corrupt file")
    assert conn.execute("SELECT count(*) FROM chunks").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM chunk_terms").fetchone() == (0,)
    assert [(f.path, f.error) for f in documents.failures(conn)] == [("/data/a.md", "corrupt file")]


def test_embedding_cache_round_trips_and_keeps_first_vector(conn: Connection[Any]) -> None:
    v1 = np.full((1, 384), 0.5, dtype=np.float32)
    embeddings.remember(conn, "m", [b"k" * 32], v1)
    embeddings.remember(conn, "m", [b"k" * 32], v1 * 0)  # a second write does not replace
    got = embeddings.lookup(conn, "m", [b"k" * 32, b"z" * 32])
    assert list(got) == [b"k" * 32]
    assert np.allclose(got[b"k" * 32], 0.5)
    assert embeddings.lookup(conn, "other-model", [b"k" * 32]) == {}


_DOCUMENT_TERMS_DRIFT = """
SELECT count(*) FROM (
    SELECT lexeme, language, document_id, count(*)::int AS n FROM chunk_terms GROUP BY 1, 2, 3
) AS expected FULL JOIN document_terms AS dt USING (lexeme, language, document_id)
WHERE expected.n IS DISTINCT FROM dt.n_chunks
"""


def test_document_terms_count_passages_per_word_through_replacements_and_deletions(conn: Connection[Any]) -> None:
    a, b = _doc(conn, "a.md"), _doc(conn, "b.md")
    vecs = np.eye(3, 384, dtype=np.float32)
    chunks.replace_chunks(conn, a, [_chunk(0, "congés payés"), _chunk(1, "congés maladie"), _chunk(2, "frais")],
                          vecs, model_id="m", language="fr", acl=["everyone"])  # fmt: skip
    chunks.replace_chunks(conn, b, [_chunk(0, "congés")], vecs[:1], model_id="m", language="fr", acl=["everyone"])
    cong = conn.execute("SELECT document_id, n_chunks FROM document_terms WHERE lexeme = 'cong'").fetchall()
    assert dict(cong) == {a: 2, b: 1}  # ids are opaque: no order to rely on
    assert conn.execute(_DOCUMENT_TERMS_DRIFT).fetchone() == (0,)
    chunks.replace_chunks(conn, a, [_chunk(0, "frais")], vecs[:1], model_id="m", language="fr", acl=["everyone"])
    assert conn.execute(_DOCUMENT_TERMS_DRIFT).fetchone() == (0,)
    conn.execute("DELETE FROM documents WHERE id = %s", (b,))
    assert conn.execute("SELECT count(*) FROM document_terms WHERE lexeme = 'cong'").fetchone() == (0,)
    documents.record_failure(conn, 1, _meta("a.md"), "corrupt file")
    assert conn.execute("SELECT count(*) FROM document_terms").fetchone() == (0,)


def test_passage_vectors_are_stored_inline(conn: Connection[Any]) -> None:
    # MAIN, not pgvector's EXTERNAL default: the vector leg's exact scan would pay a TOAST lookup per passage.
    storage = conn.execute(
        "SELECT attstorage FROM pg_attribute WHERE attrelid = 'chunks'::regclass AND attname = 'embedding'"
    ).fetchone()
    assert storage == ("m",)
