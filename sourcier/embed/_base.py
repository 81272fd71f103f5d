from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """What sourcier needs from an embedding model.

    `model_id` is stored beside every vector, so that vectors of two models never mix.
    Vectors are L2-normalised float32; passages and queries may be encoded differently (E5 prefixes).
    """

    @property
    def model_id(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed_passages(self, texts: Sequence[str]) -> Vectors: ...

    def embed_query(self, text: str) -> Vectors: ...

    def token_count(self, text: str) -> int: ...


def text_hash(text: str) -> bytes:
    """Key of the embedding cache: identical texts are embedded once per model."""
    return hashlib.sha256(text.encode("utf-8")).digest()


def normalise(v: Vectors) -> Vectors:
    norms = np.linalg.norm(v, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    out: Vectors = (v / norms).astype(np.float32)
    return out
