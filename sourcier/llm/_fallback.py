"""An ordered list of models: when one fails, the next one answers, and the record says so."""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Sequence

from sourcier.errors import ConfigError, LLMError, NoModelAnswered
from sourcier.llm._base import ChatMessage, ChatModel, Completion, Delta, TokenStream
from sourcier.types import ModelAttempt

log = logging.getLogger(__name__)


class FallbackChatModel:
    """Tries each model in order until one finishes its answer.

    A model that fails after it has streamed some text (a cut stream, a timeout mid-answer) is abandoned
    too: the next model's first delta carries `restart=True`, so readers drop what they showed. When every
    model fails, `NoModelAnswered` lists the attempts; the caller returns the extractive answer then.
    """

    def __init__(self, models: Sequence[ChatModel]) -> None:
        if not models:
            raise ConfigError("FallbackChatModel needs at least one model")
        self._models = tuple(models)

    @property
    def name(self) -> str:
        return " → ".join(m.name for m in self._models)

    @property
    def models(self) -> tuple[ChatModel, ...]:
        return self._models

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int | None = None) -> TokenStream[Completion]:
        return TokenStream(self._generate(messages, max_tokens))

    def _generate(self, messages: Sequence[ChatMessage], max_tokens: int | None) -> Generator[Delta, None, Completion]:
        failed: list[ModelAttempt] = []
        shown = False  # whether deltas of an abandoned model reached the reader
        for model in self._models:
            t0 = time.perf_counter()
            first: float | None = None
            inner = model.stream(messages, max_tokens=max_tokens)
            try:
                for delta in inner:
                    if first is None:
                        first = (time.perf_counter() - t0) * 1e3
                        yield Delta(delta.text, restart=shown or delta.restart)
                    else:
                        yield delta
                    shown = True
                done = inner.result
            except LLMError as exc:
                took = (time.perf_counter() - t0) * 1e3
                failed.append(ModelAttempt(model.name, ok=False, error=str(exc), first_token_ms=first, total_ms=took))
                log.info("LLM failed (%s); %s", exc, "none left" if model is self._models[-1] else "trying the next")
                continue
            finally:
                inner.close()
            return Completion(done.text, done.model, done.finish_reason, (*failed, *done.attempts))
        raise NoModelAnswered(
            f"No language model answered ({len(failed)} tried).",
            attempts=tuple(failed),
            hint="check SOURCIER_LLM_BASE_URL and SOURCIER_LLM_FALLBACKS, and that the servers are running",
        )
