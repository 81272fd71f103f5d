"""The embedding cache: vectors by (model id, text hash), so no text is ever embedded twice by one model;
and the record of which model the searched vectors belong to (`embedding_models`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg import Connection
from psycopg.rows import class_row

from sourcier.errors import EmbeddingModelMismatch

_LOOKUP = """
SELECT text_hash, embedding FROM embedding_cache
WHERE model_id = %(model)s AND text_hash = ANY(%(hashes)s)
"""

_CREATE_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS embedding_stage (text_hash bytea, embedding vector) ON COMMIT DELETE ROWS
"""
_COPY_STAGE = "COPY embedding_stage (text_hash, embedding) FROM STDIN WITH (FORMAT BINARY)"
_MERGE_STAGE = """
INSERT INTO embedding_cache (model_id, text_hash, embedding)
SELECT DISTINCT ON (text_hash) %(model)s, text_hash, embedding FROM embedding_stage
ON CONFLICT (model_id, text_hash) DO NOTHING
"""


def lookup(conn: Connection[Any], model_id: str, hashes: Sequence[bytes]) -> dict[bytes, npt.NDArray[np.float32]]:
    if not hashes:
        return {}
    rows = conn.execute(_LOOKUP, {"model": model_id, "hashes": list(hashes)}).fetchall()
    return {bytes(h): as_array(v) for h, v in rows}


def as_array(value: Any) -> npt.NDArray[np.float32]:
    """pgvector's loader gives `Vector` objects (or numpy arrays, depending on the version)."""
    arr = value.to_numpy() if hasattr(value, "to_numpy") else value
    return np.asarray(arr, dtype=np.float32)


def remember(conn: Connection[Any], model_id: str, hashes: Sequence[bytes], vectors: npt.NDArray[np.float32]) -> None:
    """Add vectors to the cache (existing entries are kept). Runs in its own transaction."""
    if not hashes:
        return
    with conn.transaction():
        conn.execute(_CREATE_STAGE)
        with conn.cursor() as cur, cur.copy(_COPY_STAGE) as copy:
            copy.set_types(["bytea", "vector"])
            for h, v in zip(hashes, vectors, strict=True):
                copy.write_row((h, v))
        conn.execute(_MERGE_STAGE, {"model": model_id})


# -- which model the index's vectors belong to ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModelRecord:
    model_id: str
    dimension: int
    state: str  # 'active' (its vectors are in chunks, searched) or 'building' (beside them, in the cache)


_MODELS = "SELECT model_id, dimension, state FROM embedding_models"


def models(conn: Connection[Any]) -> dict[str, ModelRecord]:
    """The active model and the one being built, by state ('active', 'building'); either may be absent."""
    with conn.cursor(row_factory=class_row(ModelRecord)) as cur:
        return {m.state: m for m in cur.execute(_MODELS).fetchall()}


def active_model(conn: Connection[Any]) -> ModelRecord | None:
    return models(conn).get("active")


_ADOPT = """
INSERT INTO embedding_models (model_id, dimension, state, activated_at)
SELECT %(model)s, %(dim)s, 'active', now()
WHERE NOT EXISTS (SELECT 1 FROM embedding_models WHERE state = 'active')
ON CONFLICT DO NOTHING
"""
_ACTIVE_FOR_SHARE = "SELECT model_id FROM embedding_models WHERE state = 'active' FOR SHARE"


def hold_active(conn: Connection[Any], model_id: str, dimension: int) -> None:
    """Inside a document's transaction, before its passages are written: they must be of the active model.

    An empty index adopts the writer's model. The row lock (FOR SHARE) makes a model switch wait for
    this transaction, and this one wait for a switch in progress, so no passage of the old model is
    written after the switch.
    """
    row = conn.execute(_ACTIVE_FOR_SHARE).fetchone()
    if row is None:  # the first passages of an empty index (one statement per document otherwise)
        conn.execute(_ADOPT, {"model": model_id, "dim": dimension})
        row = conn.execute(_ACTIVE_FOR_SHARE).fetchone()
    if row is not None and row[0] != model_id and not _adopt_if_empty(conn, model_id, dimension):
        raise mismatch(active=row[0], mine=model_id, what="passages")


_HAS_PASSAGES = "SELECT EXISTS (SELECT 1 FROM chunks)"
_DROP_BUILD = "DELETE FROM embedding_models WHERE state = 'building' AND model_id = %(model)s"
_TAKE_OVER_EMPTY = """
UPDATE embedding_models SET model_id = %(model)s, dimension = %(dim)s, started_at = now(), activated_at = now()
WHERE state = 'active' AND NOT EXISTS (SELECT 1 FROM chunks)
"""


def has_passages(conn: Connection[Any]) -> bool:
    """Whether any passage is stored: an index without passages may change model freely."""
    row = conn.execute(_HAS_PASSAGES).fetchone()
    return bool(row and row[0])


def _adopt_if_empty(conn: Connection[Any], model_id: str, dimension: int) -> bool:
    """An index emptied of its passages (every source removed) takes the writer's model: nothing to rebuild.

    (A writer of the old model committing the very first passages at the same instant could leave them
    behind on the old model; `sourcier reindex` brings such passages over.)
    """
    if has_passages(conn):
        return False
    conn.execute(_DROP_BUILD, {"model": model_id})
    return conn.execute(_TAKE_OVER_EMPTY, {"model": model_id, "dim": dimension}).rowcount == 1


def mismatch(*, active: str, mine: str, what: str) -> EmbeddingModelMismatch:
    return EmbeddingModelMismatch(
        f"The index's vectors come from {active}, but this process embeds {what} with {mine}.",
        hint=f"set the embedding settings back to {active}, or switch the index with `sourcier reindex`"
        " (searches keep using the old vectors until it has finished)",
    )


_START_BUILDING = """
WITH dropped AS (DELETE FROM embedding_models WHERE state = 'building' AND model_id <> %(model)s)
INSERT INTO embedding_models (model_id, dimension, state) VALUES (%(model)s, %(dim)s, 'building')
ON CONFLICT (model_id) DO NOTHING
"""


def start_building(conn: Connection[Any], model_id: str, dimension: int) -> None:
    """Record that `model_id`'s vectors are being built (replacing another build left unfinished)."""
    conn.execute(_START_BUILDING, {"model": model_id, "dim": dimension})


# Passages in reading order (source, document uri, position), not id order: ids are opaque, so id order
# would put passages of many documents, and copies of one text, into the same batch by chance. The
# cursor is the last passage handed out, looked up again (a passage deleted since restarts the pass from
# the first passage still missing: what was embedded is in the cache, so nothing is embedded twice). The
# row comparison on (source_id, uri) lets the scan start in that unique index, at the cursor's document.
_MISSING = """
WITH after AS MATERIALIZED (
    SELECT coalesce(max(d.source_id), 0) AS source_id, coalesce(max(d.uri), '') AS uri,
           coalesce(max(c.position), -1) AS position
    FROM chunks AS c JOIN documents AS d ON d.id = c.document_id
    WHERE c.id = %(after)s
)
SELECT c.id AS chunk_id, c.text_hash, c.heading, c.text
FROM documents AS d JOIN chunks AS c ON c.document_id = d.id
WHERE (d.source_id, d.uri) >= (SELECT source_id, uri FROM after)
  AND (d.source_id, d.uri, c.position) > (SELECT source_id, uri, position FROM after)
  AND c.embedding_model <> %(model)s
  AND NOT EXISTS (SELECT 1 FROM embedding_cache AS e WHERE e.model_id = %(model)s AND e.text_hash = c.text_hash)
ORDER BY d.source_id, d.uri, c.position
LIMIT %(n)s
"""


@dataclass(frozen=True, slots=True)
class MissingVector:
    chunk_id: int
    text_hash: bytes
    heading: str
    text: str


def missing_vectors(conn: Connection[Any], model_id: str, *, after: int, n: int) -> list[MissingVector]:
    """Passages after the passage `after` (an id; 0 for the first) that have no vector of `model_id` yet,
    in reading order: the last one's id is the next call's `after`."""
    with conn.cursor(row_factory=class_row(MissingVector)) as cur:
        return cur.execute(_MISSING, {"model": model_id, "after": after, "n": n}).fetchall()


_COUNT_TO_BUILD = """
SELECT count(*) FILTER (WHERE e.text_hash IS NULL), count(*) FROM chunks AS c
LEFT JOIN embedding_cache AS e ON e.model_id = %(model)s AND e.text_hash = c.text_hash
WHERE c.embedding_model <> %(model)s
"""


def count_to_build(conn: Connection[Any], model_id: str) -> tuple[int, int]:
    """(passages still without a vector of `model_id`, passages not yet on `model_id`)."""
    row = conn.execute(_COUNT_TO_BUILD, {"model": model_id}).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


_LOCK_ACTIVE = "SELECT model_id FROM embedding_models WHERE state = 'active' FOR UPDATE"
_COPY_INTO_CHUNKS = """
UPDATE chunks AS c SET embedding = e.embedding, embedding_model = %(model)s, embedding_dim = %(dim)s
FROM embedding_cache AS e
WHERE e.model_id = %(model)s AND e.text_hash = c.text_hash AND c.embedding_model <> %(model)s
"""
_END_BUILD = "DELETE FROM embedding_models WHERE state = 'building'"
# The active row is updated in place, not replaced: a writer waiting on its lock then reads the new
# model (and refuses its old-model passages) instead of finding no row at all.
_ACTIVATE = """
UPDATE embedding_models SET model_id = %(model)s, dimension = %(dim)s, started_at = now(), activated_at = now()
WHERE state = 'active'
"""
_ACTIVATE_FIRST = """
INSERT INTO embedding_models (model_id, dimension, state, activated_at) VALUES (%(model)s, %(dim)s, 'active', now())
"""
_DROP_CACHE = "DELETE FROM embedding_cache WHERE model_id = ANY(%(models)s)"


def switch_active(conn: Connection[Any], model_id: str, dimension: int, *, keep_previous: bool) -> int | None:
    """Make `model_id` the searched model, in one transaction; None (nothing changed) if vectors are missing.

    Waits for the document transactions in flight (they hold the active row FOR SHARE) and holds new ones
    off until it commits; searches keep reading the old vectors until then (MVCC). The previous models'
    cached vectors are dropped unless `keep_previous` (a switch back then costs no embedding).
    Returns the number of passages whose vectors were replaced.
    """
    with conn.transaction():
        previous = [r[0] for r in conn.execute(_LOCK_ACTIVE).fetchall()]
        missing, _ = count_to_build(conn, model_id)
        if missing:
            raise psycopg.Rollback()
        others = [r[0] for r in conn.execute(
            "SELECT DISTINCT embedding_model FROM chunks WHERE embedding_model <> %(model)s", {"model": model_id}
        )]  # fmt: skip
        replaced = conn.execute(_COPY_INTO_CHUNKS, {"model": model_id, "dim": dimension}).rowcount
        conn.execute(_END_BUILD)
        conn.execute(_ACTIVATE if previous else _ACTIVATE_FIRST, {"model": model_id, "dim": dimension})
        if not keep_previous:
            conn.execute(_DROP_CACHE, {"models": sorted({*previous, *others} - {model_id})})
        return replaced
    return None


_REINDEX_LOCK = (7_461_003, 0)  # advisory lock: one reindex at a time


def try_lock_reindex(conn: Connection[Any]) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", _REINDEX_LOCK).fetchone()
    return bool(row and row[0])


def unlock_reindex(conn: Connection[Any]) -> None:
    conn.execute("SELECT pg_advisory_unlock(%s, %s)", _REINDEX_LOCK)
