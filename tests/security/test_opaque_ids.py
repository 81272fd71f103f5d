"""Ids a user sees say nothing about the rows they may not see: no gaps to count, no order to read."""

from __future__ import annotations

import itertools
from typing import Any

import psycopg
from psycopg import Connection
from psycopg.conninfo import make_conninfo

from sourcier import store
from sourcier.store import conversations, users
from tests.conftest import FakeEmbedder, add_document

_LOW, _HIGH = 2**52, 2**53


def test_ids_of_consecutive_documents_and_passages_are_not_consecutive(conn: Connection[Any]) -> None:
    emb = FakeEmbedder()
    docs = [add_document(conn, emb, f"d{i}.txt", ["everyone"], [f"texte {i}", f"suite {i}"]) for i in range(6)]
    passages = [r[0] for r in conn.execute("SELECT id FROM chunks ORDER BY document_id, position")]
    for ids in (docs, passages):
        assert len(set(ids)) == len(ids)
        assert all(_LOW <= i < _HIGH for i in ids)  # exact as JavaScript numbers
        gaps = {b - a for a, b in itertools.pairwise(ids)}
        assert all(abs(g) > 1000 for g in gaps), gaps  # neither a count nor an order to read


def test_conversation_answer_and_token_ids_are_opaque(conn: Connection[Any]) -> None:
    users.create_user(conn, "alice")
    first = conversations.create(conn, "alice", "Télétravail ?")
    second = conversations.create(conn, "alice", "Cantine ?")
    assert _LOW <= first < _HIGH and _LOW <= second < _HIGH and abs(second - first) > 1000
    users.create_token(conn, "alice")
    users.create_token(conn, "alice")
    tokens = [r[0] for r in conn.execute("SELECT id FROM api_tokens")]
    assert all(_LOW <= t < _HIGH for t in tokens) and abs(tokens[0] - tokens[1]) > 1000


def test_equal_counters_of_two_tables_give_unrelated_ids(conn: Connection[Any]) -> None:
    row = conn.execute("SELECT opaque_id(7, 'documents'), opaque_id(7, 'conversations')").fetchone()
    assert row is not None and row[0] != row[1]


def test_the_id_function_is_a_permutation_of_its_counter(conn: Connection[Any]) -> None:
    n = 50_000
    row = conn.execute(
        "SELECT count(DISTINCT opaque_id(g, 'documents')), min(opaque_id(g, 'documents')),"
        " max(opaque_id(g, 'documents')) FROM generate_series(0, %s) g",
        (n - 1,),
    ).fetchone()
    assert row is not None
    distinct, low, high = row
    assert distinct == n and low >= _LOW and high < _HIGH


def test_rows_written_before_the_migration_keep_their_ids_and_never_meet_new_ones(pg: str) -> None:
    name = "sourcier_migration_0014"
    with psycopg.connect(pg, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        with store.connect(make_conninfo(pg, dbname=name)) as c:
            store.migrate(c, before="0014")
            old = add_document(c, FakeEmbedder(), "old.txt", ["everyone"], ["ancien texte"])
            store.migrate(c)
            new = add_document(c, FakeEmbedder(), "new.txt", ["everyone"], ["nouveau texte"])
            assert old < 1000 <= _LOW <= new  # links to old documents still work; new ids are opaque
            ids = [r[0] for r in c.execute("SELECT id FROM documents ORDER BY id")]
            assert ids == [old, new]
    finally:
        with psycopg.connect(pg, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_database_that_has_opaque_ids_already_keeps_its_key(conn: Connection[Any]) -> None:
    """The migration ran once under another number (0012_opaque_ids): run again, it changes nothing."""
    (body,) = [b for version, b in store.migration_files() if version.endswith("_opaque_ids")]
    ids = """SELECT opaque_id(7, 'documents'), pg_get_expr(adbin, adrelid)
             FROM pg_attrdef WHERE adrelid = 'chunks'::regclass"""
    before = conn.execute(ids).fetchall()
    with conn.transaction():
        conn.execute(body)
    assert conn.execute(ids).fetchall() == before
