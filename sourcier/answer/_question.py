"""What the answering pipeline is asked, and the seams where guardrails and experiments plug in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from sourcier.llm import ResultStream
from sourcier.types import AnswerEvent, AnswerRecord, AskMode, Identity, Turn


class Keep(StrEnum):
    """What is recorded of an answer."""

    CONVERSATION = "conversation"  # stored in the asker's conversation (a new one when none is given), and traced
    TRACE = "trace"  # traced only: the client keeps the conversation (the CLI, OpenAI clients on /v1)


@dataclass(frozen=True, slots=True)
class Knobs:
    """What an experiment arm may change for one question; None keeps the server's setting."""

    top_k: int | None = None
    fusion: Literal["minmax", "rrf"] | None = None
    written: bool | None = None  # False: the extractive answer even when a model is configured


@dataclass(frozen=True, slots=True)
class Question:
    """One question, as an interface hands it to the pipeline.

    The history is either the asker's stored conversation (`conversation_id`, checked to be theirs) or
    the turns the client sent (`history`, OpenAI clients keep their own); `regenerated_from` answers again
    the question of an earlier answer, with the history before it.
    """

    asker: Identity
    text: str
    mode: AskMode = AskMode.AUTO
    conversation_id: int | None = None
    history: tuple[Turn, ...] = ()
    regenerated_from: int | None = None
    keep: Keep = Keep.TRACE
    knobs: Knobs = Knobs()


@dataclass(frozen=True, slots=True)
class Refusal:
    """An input check's verdict: the text the asker reads instead of an answer, and which check gave it."""

    text: str
    check: str


InputCheck = Callable[[Question, str], Refusal | None]
"""Looks at a question (and its language, "fr" or "en") before anything is retrieved; a refusal ends it."""

OutputCheck = Callable[[Question, AnswerRecord], AnswerRecord]
"""Sees the finished answer before it is recorded and shown as final; may return it changed."""


class AnswerStream(ResultStream[AnswerEvent, AnswerRecord]):
    """The events of one answer as they come; `result` once the stream has been read to its end.

    Errors raised before the first event (a conversation that is not the asker's) reach the first `next`,
    so an HTTP edge can still answer them with a status code.
    """

    _UNREAD = "The answer was read before it ended: iterate over it first."
