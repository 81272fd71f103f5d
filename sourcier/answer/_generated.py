"""Answers written by a language model from the retrieved passages, streamed, every citation checked.

The step receives hits that were already filtered for the asking user (retrieval applies access rights
in SQL), so what it writes, and its "Je ne sais pas", cannot depend on documents the user may not read.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Sequence
from dataclasses import replace

from sourcier.answer._citations import CitationChecker
from sourcier.answer._extractive import I_DONT_KNOW, ExtractiveAnswerer, Relevance
from sourcier.answer._highlight import fold
from sourcier.answer._prompts import PromptLibrary
from sourcier.answer._sentence_match import SentenceMatch
from sourcier.errors import ConfigError, LLMError, NoModelAnswered
from sourcier.llm import ChatModel, Completion, Delta, TokenStream
from sourcier.types import Answer, Hit

log = logging.getLogger(__name__)

NOT_ANSWERED = {
    "fr": "Je ne sais pas : les passages trouvés ne permettent pas de répondre avec certitude. Les plus proches :",
    "en": "I don't know: the passages found do not answer this with certainty. Here are the closest ones:",
}
NO_MODEL_NOTICE = {
    "fr": "Aucun modèle de langue n'a répondu : voici les passages qui répondent le mieux, sans réponse rédigée.",
    "en": "No language model answered: here are the best passages, without a written answer.",
}
CUT_NOTICE = {
    "fr": "La réponse a atteint la longueur maximale et peut être incomplète.",
    "en": "The answer reached its maximum length and may be incomplete.",
}
_IDK_OPENINGS = ("je ne sais pas", "i don't know", "i do not know", "i dont know")


def says_i_dont_know(text: str) -> bool:
    """Whether the model declined ("Je ne sais pas.", "I don't know."), quotes and case aside."""
    head = fold(text).strip().lstrip("«\"'“ ").replace("’", "'")
    return head.startswith(_IDK_OPENINGS)


class GeneratedAnswerer:
    """Question and passages in, a written and cited answer out; the extractive answer when it cannot be.

    - Nothing relevant retrieved (the `Relevance` rule, and the `SentenceMatch` when given): "Je ne sais
      pas", the model is not called.
    - Every model failed: the extractive answer, with a notice and the failed attempts.
    - The model declines, or none of its citations survives the check: "Je ne sais pas" and the best
      passages (extractive), `found=False`.
    - Otherwise: the checked text (invalid citations removed, unsupported sentences marked), its citations.

    `stream()` yields the model's deltas as they come (a delta with `restart=True` voids those before it:
    another model took over); its `result` is the checked `Answer`. `run()` reads the stream for you.
    """

    def __init__(
        self,
        *,
        model: ChatModel,
        checker: CitationChecker,
        prompts: PromptLibrary | None = None,
        relevance: Relevance | None = None,
        max_passages: int = 5,
        extractive: ExtractiveAnswerer | None = None,
        sentence_match: SentenceMatch | None = None,
    ) -> None:
        if max_passages < 1:
            raise ConfigError(f"max_passages must be at least 1, got {max_passages}")
        self._model = model
        self._checker = checker
        self._prompts = prompts or PromptLibrary()
        self._relevance = relevance or Relevance()
        self._max = max_passages
        self._sentence_match = sentence_match
        self._extractive = extractive or ExtractiveAnswerer(relevance=self._relevance, sentence_match=sentence_match)

    def run(self, question: str, hits: Sequence[Hit], *, language: str) -> Answer:
        return self.stream(question, hits, language=language).read()

    def stream(self, question: str, hits: Sequence[Hit], *, language: str) -> TokenStream[Answer]:
        return TokenStream(self._generate(question, list(hits), "en" if language == "en" else "fr"))

    def _generate(self, question: str, hits: list[Hit], lang: str) -> Generator[Delta, None, Answer]:
        passages = self._relevance.select(hits, self._max)
        if passages and self._sentence_match is not None and not self._sentence_match.holds(question, passages[0]):
            passages = []
        if not passages:
            return Answer(question=question, language=lang, text=I_DONT_KNOW[lang], found=False)
        prompt = self._prompts.answer(question, passages, language=lang)
        inner = self._model.stream(prompt.messages)
        try:
            yield from inner
            completion = inner.result
        except LLMError as exc:
            log.info("no written answer (%s); returning the extractive one", exc)
            base = self._extractive.run(question, hits, language=lang)
            attempts = exc.attempts if isinstance(exc, NoModelAnswered) else ()
            return replace(base, notice=NO_MODEL_NOTICE[lang], attempts=attempts, prompt_version=prompt.version)
        finally:
            inner.close()
        return self._checked(question, hits, passages, lang, completion, prompt.version)

    def _checked(
        self, question: str, hits: list[Hit], passages: list[Hit], lang: str, completion: Completion, version: str
    ) -> Answer:
        if says_i_dont_know(completion.text):
            declined = self._not_answered(question, hits, lang)
            return replace(declined, model=completion.model, prompt_version=version, attempts=completion.attempts)
        checked = self._checker.run(completion.text, passages, language=lang)
        log.info(
            "citations: %d written, %d valid, %d to passages that were not given, %d sentences flagged",
            checked.written,
            checked.valid,
            len(checked.unknown_numbers),
            len(checked.flagged),
        )
        validity = checked.validity if checked.written else 0.0
        if checked.valid:
            answer = Answer(
                question=question,
                language=lang,
                text=checked.text,
                citations=checked.citations,
                notice=CUT_NOTICE[lang] if completion.finish_reason == "length" else None,
            )
        else:
            answer = self._not_answered(question, hits, lang)
        return replace(
            answer,
            model=completion.model,
            prompt_version=version,
            citation_validity=validity,
            attempts=completion.attempts,
            flagged=checked.flagged,
        )

    def _not_answered(self, question: str, hits: list[Hit], lang: str) -> Answer:
        base = self._extractive.run(question, hits, language=lang)
        lines = base.text.splitlines()[1:] if base.found else []
        return replace(base, text="\n".join([NOT_ANSWERED[lang], *lines]), found=False)
