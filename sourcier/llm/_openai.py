"""One client for every OpenAI-compatible chat server: vLLM, llama.cpp, Ollama, Mistral, Scaleway, OpenAI."""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from sourcier.errors import ConfigError, LLMError, LLMStreamCut, LLMTimeout
from sourcier.llm._base import ChatMessage, Completion, Delta, TokenStream
from sourcier.types import ModelAttempt

if TYPE_CHECKING:
    from openai import OpenAI

log = logging.getLogger(__name__)


def _redact(url: str) -> str:
    """The URL without any user:password part, for names and logs."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


class OpenAIChatModel:
    """A model on one OpenAI-compatible server, streamed through `/v1/chat/completions`.

    Two timeouts: `first_token_s` bounds the wait for the first token and any silence between two
    chunks (the HTTP read timeout); `timeout_s` bounds the whole answer. No retries: fallbacks are the
    retry policy (`FallbackChatModel`). The key lives in a `SecretStr` and is only handed to the client.
    """

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: SecretStr | None = None,
        timeout_s: float = 60.0,
        first_token_s: float = 15.0,
        max_tokens: int = 800,
        temperature: float = 0.1,
        stop: Sequence[str] = (),
    ) -> None:
        if not base_url or not model:
            raise ConfigError(f"An LLM needs a base URL and a model name (got {_redact(base_url)!r}, {model!r}).")
        if timeout_s <= 0 or first_token_s <= 0:
            raise ConfigError(f"LLM timeouts must be positive (got {timeout_s}, {first_token_s}).")
        if max_tokens < 1:
            raise ConfigError(f"max_tokens must be at least 1, got {max_tokens}")
        self._base_url = base_url
        self._model = model
        self._key = api_key or SecretStr("")
        self._timeout_s = timeout_s
        self._first_token_s = min(first_token_s, timeout_s)
        self._max_tokens = max_tokens
        self._temperature = temperature
        self._stop = list(stop)
        self._client: OpenAI | None = None

    @property
    def name(self) -> str:
        return f"{self._model} @ {_redact(self._base_url)}"

    def __repr__(self) -> str:
        return f"OpenAIChatModel({self.name!r})"

    def _get_client(self) -> OpenAI:
        if self._client is None:
            import openai

            timeout = openai.Timeout(self._timeout_s, connect=min(5.0, self._first_token_s), read=self._first_token_s)
            self._client = openai.OpenAI(
                base_url=self._base_url,
                api_key=self._key.get_secret_value() or "none",
                timeout=timeout,
                max_retries=0,
            )
        return self._client

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int | None = None) -> TokenStream[Completion]:
        return TokenStream(self._generate(messages, max_tokens or self._max_tokens))

    def _generate(self, messages: Sequence[ChatMessage], max_tokens: int) -> Generator[Delta, None, Completion]:
        import openai

        t0 = time.perf_counter()
        first: float | None = None
        parts: list[str] = []
        finish: str | None = None
        tokens: int | None = None
        stream: Any = None
        try:
            stream = self._get_client().chat.completions.create(
                model=self._model,
                messages=[{"role": m.role, "content": m.content} for m in messages],  # type: ignore[misc]
                stream=True,
                max_tokens=max_tokens,
                temperature=self._temperature,
                stop=self._stop or None,
            )
            for chunk in stream:
                now = time.perf_counter() - t0
                if getattr(chunk, "usage", None) is not None:  # some servers report usage in the last chunk
                    tokens = chunk.usage.completion_tokens
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                text = choice.delta.content or ""
                if text:
                    if first is None:
                        if now > self._first_token_s:
                            raise LLMTimeout(f"{self.name}: no first token within {self._first_token_s:g} s")
                        first = now
                    parts.append(text)
                    yield Delta(text)
                if choice.finish_reason is not None:
                    finish = choice.finish_reason
                if now > self._timeout_s:
                    raise LLMTimeout(f"{self.name}: the answer took over {self._timeout_s:g} s")
        except openai.APITimeoutError as exc:
            waited = "the first token" if first is None else "the next token"
            raise LLMTimeout(f"{self.name}: no answer within {self._first_token_s:g} s (waiting for {waited})") from exc
        except openai.APIConnectionError as exc:
            if first is not None:
                raise LLMStreamCut(f"{self.name}: the connection dropped in the middle of the answer") from exc
            raise LLMError(f"{self.name}: could not connect") from exc
        except openai.APIStatusError as exc:
            raise LLMError(f"{self.name}: HTTP {exc.status_code}") from exc
        except openai.OpenAIError as exc:
            raise LLMError(f"{self.name}: {type(exc).__name__}") from exc
        finally:
            if stream is not None:
                stream.close()
        total = (time.perf_counter() - t0) * 1e3
        if finish is None:
            raise LLMStreamCut(f"{self.name}: the stream ended without a finish reason (cut in the middle)")
        if finish not in ("stop", "length"):
            raise LLMError(f"{self.name}: generation ended with {finish!r}")
        attempt = ModelAttempt(
            model=self.name,
            ok=True,
            first_token_ms=None if first is None else first * 1e3,
            total_ms=total,
            completion_tokens=tokens,
        )
        log.info("%s answered: %d chars in %.0f ms (%s)", self.name, sum(map(len, parts)), total, finish)
        return Completion(text="".join(parts), model=self.name, finish_reason=finish, attempts=(attempt,))
