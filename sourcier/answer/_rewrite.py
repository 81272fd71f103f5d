"""Follow-up questions made standalone before retrieval ("Et pour les cadres ?" → a full question).

History is passed in by the caller, oldest turn first (`_recording.history_of`): the asker's stored
conversation on /api/v1 and the web chat, the turns an OpenAI client sends on /v1; the CLI asks one
question at a time, without history.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sourcier.answer._prompts import PromptLibrary
from sourcier.errors import ConfigError, LLMError
from sourcier.llm import ChatModel
from sourcier.types import Turn

log = logging.getLogger(__name__)

Method = Literal["unchanged", "model", "appended"]

CHARS_PER_TOKEN = 4
DEFAULT_HISTORY_TOKENS = 1000
_LABEL = re.compile(r"^\s*(?:(?:derni[eè]re\s+|last\s+|standalone\s+)?question\s*:|r[ée]ponse\s*:|answer\s*:)\s*", re.I)


@dataclass(frozen=True, slots=True)
class Rewrite:
    question: str  # as asked
    standalone: str  # what retrieval and the answer use
    method: Method
    model: str | None = None
    prompt_version: str | None = None


def estimate_tokens(text: str) -> int:
    """Tokens of `text`, estimated as one per four characters (rounded up).

    Close to what subword tokenizers give French and English prose, and free: the history is sized before
    any model or embedder sees it, the point being to keep their input bounded, not to count it exactly.
    """
    return -(-len(text) // CHARS_PER_TOKEN)


def cut_to_tokens(text: str, tokens: int) -> str:
    """The start of `text` that fits `tokens` (estimated), ended at a word boundary when one is near."""
    limit = max(tokens, 0) * CHARS_PER_TOKEN
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ", limit - limit // 5)
    return (cut[:space] if space > 0 else cut).rstrip()


def fit_history(history: Sequence[Turn], max_tokens: int) -> list[Turn]:
    """The most recent turns whose questions and answers fit `max_tokens`, oldest first.

    The newest turn is always kept (a follow-up is about it), cut to the budget when alone it is larger:
    its question first, its answer in what is left. An older turn is kept whole or not at all.
    """
    kept: list[Turn] = []
    left = max_tokens
    for turn in reversed(history):
        cost = estimate_tokens(turn.question) + estimate_tokens(turn.answer)
        if cost <= left:
            kept.append(turn)
            left -= cost
            continue
        if not kept:
            q = cut_to_tokens(turn.question, max_tokens)
            kept.append(Turn(question=q, answer=cut_to_tokens(turn.answer, max_tokens - estimate_tokens(q))))
        break
    return kept[::-1]


def appended(question: str, history: Sequence[Turn], *, max_tokens: int = DEFAULT_HISTORY_TOKENS) -> str:
    """Without a model: the previous question is appended, so that retrieval keeps its subject.

    It is cut to `max_tokens` (estimated): what is appended is embedded, whose cost grows with its length.
    """
    return f"{question.strip()} — {cut_to_tokens(history[-1].question.strip(), max_tokens)}"


class QuestionRewriter:
    """Rewrites a follow-up into a standalone question with the model, or by appending the previous one.

    No history: the question is used as is (no model call). A model failure or an unusable rewrite
    (empty, many times longer than the conversation) falls back to appending. Of the last `max_turns`
    turns, only the most recent that fit `max_history_tokens` are used (see `fit_history`), so that a
    long earlier turn cannot make the prompt, or the appended question, grow without bound.
    """

    def __init__(
        self,
        *,
        model: ChatModel | None = None,
        prompts: PromptLibrary | None = None,
        max_turns: int = 3,
        max_tokens: int = 96,
        max_history_tokens: int = DEFAULT_HISTORY_TOKENS,
    ) -> None:
        if max_turns < 1:
            raise ConfigError(f"max_turns must be at least 1, got {max_turns}")
        if max_history_tokens < 1:
            raise ConfigError(f"max_history_tokens must be at least 1, got {max_history_tokens}")
        self._model = model
        self._prompts = (prompts or PromptLibrary()) if model is not None else prompts
        self._turns = max_turns
        self._max_tokens = max_tokens
        self._history_tokens = max_history_tokens

    def run(self, question: str, history: Sequence[Turn], *, language: str) -> Rewrite:
        if not history:
            return Rewrite(question, question, "unchanged")
        recent = fit_history(list(history)[-self._turns :], self._history_tokens)
        if self._model is None or self._prompts is None:
            return Rewrite(question, self._appended(question, recent), "appended")
        prompt = self._prompts.rewrite(question, recent, language=language)
        try:
            completion = self._model.stream(prompt.messages, max_tokens=self._max_tokens).read()
        except LLMError as exc:
            log.warning("question not rewritten by the model (%s); appending the previous one", exc)
            return Rewrite(question, self._appended(question, recent), "appended", prompt_version=prompt.version)
        line = next((s for s in completion.text.splitlines() if s.strip()), "")
        standalone = _LABEL.sub("", line).strip().strip('«»"“” ').strip()
        budget = 3 * (len(question) + sum(len(t.question) for t in recent)) + 40
        if not standalone or len(standalone) > budget:
            return Rewrite(question, self._appended(question, recent), "appended", completion.model, prompt.version)
        return Rewrite(question, standalone, "model", completion.model, prompt.version)

    def _appended(self, question: str, recent: Sequence[Turn]) -> str:
        return appended(question, recent, max_tokens=self._history_tokens)
