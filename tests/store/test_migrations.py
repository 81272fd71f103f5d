from typing import Any

import psycopg
from psycopg import Connection
from psycopg.conninfo import make_conninfo

from sourcier import store
from tests.conftest import FakeEmbedder, add_document


def test_migrations_are_recorded_and_running_them_twice_changes_nothing(conn: Connection[Any]) -> None:
    versions = [v for v, _ in store.migration_files()]
    assert versions == sorted(versions) and versions[0] == "0001_init"
    recorded = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert recorded == versions
    before = conn.execute("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace").fetchone()
    assert store.migrate(conn) == []
    assert store.migrate(conn) == []
    after = conn.execute("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace").fetchone()
    assert before == after


def test_french_configuration_matches_accented_and_unaccented_forms(conn: Connection[Any]) -> None:
    q = "SELECT to_tsvector('fr_unaccent', %s) @@ plainto_tsquery('fr_unaccent', %s)"
    assert conn.execute(q, ("Le télétravail est encadré", "teletravail")).fetchone() == (True,)
    assert conn.execute(q, ("le teletravail", "télétravail")).fetchone() == (True,)
    assert conn.execute(q, ("les congés payés", "congé")).fetchone() == (True,)
    assert conn.execute(q, ("les congés payés", "salaire")).fetchone() == (False,)


def test_vector_index_exists_for_the_default_dimension(conn: Connection[Any]) -> None:
    row = conn.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'chunks_embedding_384'").fetchone()
    assert row is not None and "hnsw" in row[0] and "vector_cosine_ops" in row[0]


def test_french_stop_words_written_with_accents_are_not_indexed(conn: Connection[Any]) -> None:
    lexemes = "SELECT array_agg(l ORDER BY l) FROM unnest(tsvector_to_array(to_tsvector('fr_unaccent', %s))) AS l"
    # "à", "été", "était", "même" are in PostgreSQL's French stop list, which unaccent used to get round.
    assert conn.execute(lexemes, ("à Paris, même l'été, il était là",)).fetchone() == (["paris"],)
    assert conn.execute(lexemes, ("l'été indien",)).fetchone() == (["indien"],)
    # Other accented words still meet their unaccented forms.
    assert conn.execute(lexemes, ("Été réservé",)).fetchone() == conn.execute(lexemes, ("reserve",)).fetchone()


def test_the_stop_word_migration_reindexes_existing_passages_as_a_fresh_ingest_would(pg: str) -> None:
    """Postings written under the old configuration come out of migration 0011 equal to those of the
    same passages indexed afresh, and no longer hold the stop words' lexemes."""
    name = "sourcier_migration_0011"
    with psycopg.connect(pg, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        with store.connect(make_conninfo(pg, dbname=name)) as c:
            store.migrate(c, before="0011")
            texts = ["Le traité a été signé à Rome, même si la France était réticente.", "Rien à signaler."]
            doc = add_document(c, FakeEmbedder(), "rome.txt", ["everyone"], texts)
            old = _postings(c, doc)
            assert {"a", "ete", "etait", "mem"} <= {lexeme for lexeme, *_ in old}
            vacuumed = "SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'chunk_terms'"
            before = c.execute(vacuumed).fetchone()
            assert store.migrate(c) == [v for v, _ in store.migration_files() if v >= "0011"]
            after = c.execute(vacuumed).fetchone()
            # Vacuumed again after the rewrite: index-only scans need the visibility map it cleared.
            assert before is not None and after is not None and after[0] > before[0]
            migrated = _postings(c, doc)
            add_document(c, FakeEmbedder(), "rome.txt", ["everyone"], texts)  # the same passages, afresh
            assert migrated == _postings(c, doc) and migrated != old
            assert not {"ete", "etait", "mem"} & {lexeme for lexeme, *_ in migrated}
    finally:
        with psycopg.connect(pg, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _postings(c: Connection[Any], doc: int) -> list[tuple[Any, ...]]:
    """A document's postings by passage position, its per-document term rows and its length in words."""
    rows = c.execute(
        """SELECT t.lexeme, ch.position, t.tf_body, t.tf_head, t.dl FROM chunk_terms AS t
           JOIN chunks AS ch ON ch.id = t.chunk_id WHERE t.document_id = %s ORDER BY 2, 1""",
        (doc,),
    ).fetchall()
    terms = c.execute(
        """SELECT lexeme, n_chunks, max_tf_body, max_tf_head, min_dl FROM document_terms
           WHERE document_id = %s ORDER BY 1""",
        (doc,),
    ).fetchall()
    n_terms = c.execute("SELECT n_terms FROM documents WHERE id = %s", (doc,)).fetchall()
    return [*rows, *terms, *n_terms]
