from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sourcier.answer._highlight import highlight_sentences
from sourcier.types import Answer, Citation, Hit

if TYPE_CHECKING:
    from sourcier.answer._sentence_match import SentenceMatch

I_DONT_KNOW = {
    "fr": "Je ne sais pas : aucun document ne répond à cette question.",
    "en": "I don't know: no document answers this question.",
}
INTRO = {
    "fr": "Voici les passages qui répondent le mieux à la question :",
    "en": "Here are the passages that best answer the question:",
}


@dataclass(frozen=True, slots=True)
class Relevance:
    """When retrieval found something worth showing.

    A passage counts when it covers enough of the question's words (IDF-weighted), or when both legs
    rank it in their top 10 (a paraphrase the words alone would miss). Thresholds are measured on the
    examples' answerable and unanswerable questions (docs/benchmarks.md).
    """

    min_coverage: float = 0.5
    both_legs_within: int = 10

    def is_relevant(self, hit: Hit) -> bool:
        if hit.coverage >= self.min_coverage:
            return True
        return (
            hit.fulltext_rank is not None
            and hit.vector_rank is not None
            and hit.fulltext_rank <= self.both_legs_within
            and hit.vector_rank <= self.both_legs_within
        )

    def select(self, hits: Sequence[Hit], limit: int) -> list[Hit]:
        """The passages worth showing (or giving a model): none unless the best one is relevant; after it,
        those still relevant or sharing a word with the question, up to the first that is neither."""
        if not hits or not self.is_relevant(hits[0]):
            return []
        chosen = [hits[0]]
        for hit in hits[1:limit]:
            if not (self.is_relevant(hit) or hit.coverage > 0):
                break
            chosen.append(hit)
        return chosen


class ExtractiveAnswerer:
    """An answer without an LLM: the best passages, their matching sentences highlighted, each cited.

    "Je ne sais pas" when `relevance` selects nothing, or, with a `sentence_match`, when no sentence of the
    top passage is close enough to the question (see `SentenceMatch`).
    """

    def __init__(
        self,
        *,
        max_citations: int = 3,
        relevance: Relevance | None = None,
        sentence_match: SentenceMatch | None = None,
    ) -> None:
        self._max = max_citations
        self._relevance = relevance or Relevance()
        self._sentence_match = sentence_match

    def run(self, question: str, hits: list[Hit], *, language: str) -> Answer:
        lang = "en" if language == "en" else "fr"
        chosen = self._relevance.select(hits, self._max)
        if chosen and self._sentence_match is not None and not self._sentence_match.holds(question, chosen[0]):
            chosen = []
        if not chosen:
            return Answer(question=question, language=lang, text=I_DONT_KNOW[lang], found=False)
        citations: list[Citation] = []
        lines = [INTRO[lang]]
        for hit in chosen:
            n = len(citations) + 1
            spans = highlight_sentences(question, hit.text, lang)
            citations.append(Citation(number=n, hit=hit, highlights=spans))
            quote = " … ".join(hit.text[s:e] for s, e in spans) if spans else hit.text[:300]
            lines.append(f"[{n}] {quote}")
        return Answer(question=question, language=lang, text="\n".join(lines), citations=tuple(citations))
