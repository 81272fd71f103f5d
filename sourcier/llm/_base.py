"""The chat-model contract: messages in, a stream of text deltas out, then one final record."""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, Protocol, TypeVar, runtime_checkable

from sourcier.errors import SourcierError
from sourcier.types import ModelAttempt

Role = Literal["system", "user", "assistant"]
E = TypeVar("E")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class Delta:
    """A piece of generated text. `restart`: the deltas before this one are void (another model took over)."""

    text: str
    restart: bool = False


@dataclass(frozen=True, slots=True)
class Completion:
    """What a model wrote, once it said it had finished, and every try it took to get there."""

    text: str
    model: str
    finish_reason: str  # "stop" (done, or a stop sequence) or "length" (max_tokens reached)
    attempts: tuple[ModelAttempt, ...] = field(default_factory=tuple)


class ResultStream(Generic[E, T]):
    """Events as they come; `result` once the stream has been read to its end.

    Wraps a generator that yields the events and returns the final record. Errors raised while producing
    events reach the reader's `for` loop. `close()` stops early (the generator is closed).
    """

    _UNREAD = "The stream was read before it ended: iterate over it first."

    def __init__(self, gen: Generator[E, None, T]) -> None:
        self._gen = gen
        self._done = False
        self._result: T | None = None

    def __iter__(self) -> Iterator[E]:
        if self._done:
            return
        self._result = yield from self._gen
        self._done = True

    @property
    def result(self) -> T:
        if not self._done:
            raise SourcierError(self._UNREAD)
        return self._result  # type: ignore[return-value]

    def read(self) -> T:
        """Read every event, return the final record."""
        for _ in self:
            pass
        return self.result

    def close(self) -> None:
        self._gen.close()


class TokenStream(ResultStream[Delta, T]):
    """A model's deltas as they come, then its final record (`close()` closes the model's HTTP stream)."""


@runtime_checkable
class ChatModel(Protocol):
    """What sourcier needs from a language model; tests pass a fake.

    `name` identifies the model in traces and answers ("model @ server"); it never carries a key.
    `stream` raises `LLMError` subclasses (from `sourcier.errors`) while iterating, never raw client errors.
    """

    @property
    def name(self) -> str: ...

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int | None = None) -> TokenStream[Completion]: ...
