"""A file of precomputed passage vectors, keyed by (model id, text hash), for benchmark re-runs.

Embedding SciFact takes most of an hour on 2 cores; this file lets every later run seed sourcier's own
embedding cache (a PostgreSQL table) in seconds. Records are appended, so an interrupted run keeps
what it finished.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from sourcier.embed import text_hash

CACHE_DIR = Path.home() / ".cache" / "sourcier-bench"


class VectorFile:
    def __init__(self, model_id: str, dimension: int, directory: Path = CACHE_DIR) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / (re.sub(r"[^A-Za-z0-9_.-]+", "_", model_id) + ".vec")
        self.dtype = np.dtype([("hash", "S32"), ("vec", "<f4", (dimension,))])

    def load(self) -> dict[bytes, np.ndarray]:
        if not self.path.exists():
            return {}
        size = self.path.stat().st_size // self.dtype.itemsize
        recs = np.fromfile(self.path, dtype=self.dtype, count=size)
        return {bytes(r["hash"]): r["vec"] for r in recs}

    def append(self, texts: list[str], vectors: np.ndarray) -> None:
        recs = np.zeros(len(texts), dtype=self.dtype)
        recs["hash"] = [text_hash(t) for t in texts]
        recs["vec"] = vectors
        with self.path.open("ab") as f:
            recs.tofile(f)
