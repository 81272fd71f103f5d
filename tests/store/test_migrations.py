from typing import Any

from psycopg import Connection

from sourcier import store


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
