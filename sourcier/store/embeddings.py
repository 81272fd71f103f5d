"""The embedding cache: vectors by (model id, text hash), so no text is ever embedded twice by one model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from psycopg import Connection

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
