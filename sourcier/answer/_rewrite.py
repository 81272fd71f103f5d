"""Follow-up questions made standalone before retrieval ("Et pour les cadres ?" → a full question).

History is passed in by the caller, oldest turn first. Storing it per user waits for users (issue 5):
today the CLI keeps it in memory for one session, and the API will load it for the authenticated user.
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
_LABEL = re.compile(r"^\s*(?:(?:derni[eè]re\s+|last\s+|standalone\s+)?question\s*:|r[ée]ponse\s*:|answer\s*:)\s*", re.I)


@dataclass(frozen=True, slots=True)
class Rewrite:
    question: str  # as asked
    standalone: str  # what retrieval and the answer use
    method: Method
    model: str | None = None
    prompt_version: str | None = None


def appended(question: str, history: Sequence[Turn]) -> str:
    """Without a model: the previous question is appended, so that retrieval keeps its subject."""
    return f"{question.strip()} — {history[-1].question.strip()}"


class QuestionRewriter:
    """Rewrites a follow-up into a standalone question with the model, or by appending the previous one.

    No history: the question is used as is (no model call). A model failure or an unusable rewrite
    (empty, many times longer than the conversation) falls back to appending.
    """

    def __init__(
        self,
        *,
        model: ChatModel | None = None,
        prompts: PromptLibrary | None = None,
        max_turns: int = 3,
        max_tokens: int = 96,
    ) -> None:
        if max_turns < 1:
            raise ConfigError(f"max_turns must be at least 1, got {max_turns}")
        self._model = model
        self._prompts = (prompts or PromptLibrary()) if model is not None else prompts
        self._turns = max_turns
        self._max_tokens = max_tokens

    def run(self, question: str, history: Sequence[Turn], *, language: str) -> Rewrite:
        if not history:
            return Rewrite(question, question, "unchanged")
        recent = list(history)[-self._turns :]
        if self._model is None or self._prompts is None:
            return Rewrite(question, appended(question, recent), "appended")
        prompt = self._prompts.rewrite(question, recent, language=language)
        try:
            completion = self._model.stream(prompt.messages, max_tokens=self._max_tokens).read()
        except LLMError as exc:
            log.warning("question not rewritten by the model (%s); appending the previous one", exc)
            return Rewrite(question, appended(question, recent), "appended", prompt_version=prompt.version)
        line = next((s for s in completion.text.splitlines() if s.strip()), "")
        standalone = _LABEL.sub("", line).strip().strip('«»"“” ').strip()
        budget = 3 * (len(question) + sum(len(t.question) for t in recent)) + 40
        if not standalone or len(standalone) > budget:
            return Rewrite(question, appended(question, recent), "appended", completion.model, prompt.version)
        return Rewrite(question, standalone, "model", completion.model, prompt.version)
