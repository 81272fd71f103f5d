"""A second condition for answering: one sentence of the top passage must be close to the question.

The `Relevance` rule reads passage-level signals (the question's words in the passage, both legs agreeing).
They cannot tell a passage *about* the subject from one that *answers*: when the paragraph that held the
answer is missing, a neighbouring paragraph of the same article still covers the question's words. The
sentence that would answer is what differs, so this asks for a sentence of the top passage whose E5 cosine
to the question (question embedded as a query, sentences as passages: `CitationChecker.similarity`) reaches
`min_similarity`. Measured on PIAF with a fifth of the passages left out of the index (their questions made
unanswerable), threshold chosen on one half of the articles and scored on the other and on the examples
(`python -m bench.answers`, docs/answers.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from sourcier.answer._citations import CitationChecker
from sourcier.errors import ConfigError
from sourcier.types import Hit


@dataclass(frozen=True, slots=True)
class SentenceMatch:
    """`holds(question, hit)`: some sentence of `hit` is within `min_similarity` (cosine) of the question.

    The checker needs an embedder; it caches each passage's sentence vectors by chunk, so a passage costs
    one embedding call per sentence the first time it is the top hit, and the question one query.
    """

    checker: CitationChecker
    min_similarity: float = 0.8207

    def __post_init__(self) -> None:
        if not 0.0 < self.min_similarity < 1.0:
            raise ConfigError(f"min_similarity must be in (0, 1), got {self.min_similarity}")

    def similarity(self, question: str, hit: Hit) -> float:
        return self.checker.similarity(question, hit)

    def holds(self, question: str, hit: Hit) -> bool:
        return self.similarity(question, hit) >= self.min_similarity
