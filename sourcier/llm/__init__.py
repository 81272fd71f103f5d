"""Language models behind one small protocol: any OpenAI-compatible server, with ordered fallbacks.

`llm` is a leaf like `embed`: any step may call it; it imports nothing from sourcier but config, errors
and types.
"""

from sourcier.llm._base import ChatMessage, ChatModel, Completion, Delta, ResultStream, Role, TokenStream
from sourcier.llm._factory import create_chat_model
from sourcier.llm._fallback import FallbackChatModel
from sourcier.llm._local import PLAIN_CHAT_TEMPLATE, LocalLlamaServer
from sourcier.llm._openai import OpenAIChatModel

__all__ = [
    "PLAIN_CHAT_TEMPLATE",
    "ChatMessage",
    "ChatModel",
    "Completion",
    "Delta",
    "FallbackChatModel",
    "LocalLlamaServer",
    "OpenAIChatModel",
    "ResultStream",
    "Role",
    "TokenStream",
    "create_chat_model",
]
