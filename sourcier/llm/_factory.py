from __future__ import annotations

from sourcier.config import Settings
from sourcier.llm._base import ChatModel
from sourcier.llm._fallback import FallbackChatModel
from sourcier.llm._openai import OpenAIChatModel


def create_chat_model(settings: Settings) -> ChatModel | None:
    """The configured model and its fallbacks, or None when no model is configured (extractive answers).

    Composition roots call this; building the clients does no I/O.
    """
    endpoints = settings.llm_endpoints
    if not endpoints:
        return None
    models = [
        OpenAIChatModel(
            base_url=e.base_url,
            model=e.model,
            api_key=e.api_key,
            timeout_s=settings.llm_timeout_s,
            first_token_s=settings.llm_first_token_s,
            max_tokens=settings.llm_max_tokens,
            temperature=settings.llm_temperature,
            stop=settings.llm_stop,
        )
        for e in endpoints
    ]
    return FallbackChatModel(models)
