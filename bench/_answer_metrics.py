"""What bench/answers.py counts, kept apart so that tests can hold the definitions to their word.

- **Containment**: a gold answer, normalised, occurs on word boundaries in what the reader is shown as the
  answer: the answer's text (for the extractive answer, the quoted highlighted sentences) or the highlighted
  sentences of its citations. Only answers given (`found`) can contain anything: "Je ne sais pas" with the
  closest passages does not answer.
- **Citation validity**: share of the citations of answers given whose passage supports the answer: the
  passage is the gold passage (PIAF: the paragraph the question was written on) or it contains a gold
  answer, normalised, on word boundaries.
- **"Je ne sais pas"**: share of answers with `found=False`.

Normalisation: case and accents folded, typographic apostrophes made plain, every run of characters that are
neither letters nor digits made one space. So "L’Apprentissage" contains "l'apprentissage", and "1500" does
not contain "50".
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from sourcier.answer._highlight import fold
from sourcier.types import Answer, Citation

_NOT_WORD = re.compile(r"[^0-9a-z]+")


def normalise(text: str) -> str:
    """Folded and tokenised text, padded with one space each side so that containment is by whole words."""
    folded = fold(text).replace("’", "'").replace("œ", "oe").replace("æ", "ae")
    return f" {_NOT_WORD.sub(' ', folded).strip()} "


def contains(text: str, golds: Sequence[str]) -> bool:
    """Whether any non-empty gold answer occurs in `text` on word boundaries, after normalisation."""
    haystack = normalise(text)
    wanted = [normalise(g) for g in golds]
    return any(w.strip() and w in haystack for w in wanted)


def shown(answer: Answer) -> list[str]:
    """What the reader reads as the answer: its text and the highlighted sentences of its citations."""
    return [answer.text] + [c.hit.text[s:e] for c in answer.citations for s, e in c.highlights]


def answer_contains(answer: Answer, golds: Sequence[str]) -> bool:
    """Containment (module docstring): never true for "Je ne sais pas"."""
    return answer.found and any(contains(t, golds) for t in shown(answer))


def citation_valid(citation: Citation, golds: Sequence[str], gold_passages: Collection[str] = ()) -> bool:
    """Citation validity for one citation: its passage is a gold passage (by path) or contains a gold answer."""
    return citation.hit.path in gold_passages or contains(citation.hit.text, golds)


@dataclass
class Tally:
    """Counts for one system on one question set; `add` one answer at a time."""

    answerable: int = 0
    contained: int = 0
    idk_answerable: int = 0
    unanswerable: int = 0
    idk_unanswerable: int = 0
    citations: int = 0
    valid_citations: int = 0
    check_validity: list[float] = field(default_factory=list)  # Answer.citation_validity of written answers
    top_citations: int = 0  # citation [1] of answers given: the passage put first
    valid_top_citations: int = 0
    first_token_ms: list[float] = field(default_factory=list)
    model_ms: list[float] = field(default_factory=list)  # the model's whole answer (the successful attempt)
    total_ms: list[float] = field(default_factory=list)  # the answerer's run, citation check included

    def add(
        self, answer: Answer, golds: Sequence[str] | None, *, gold_passages: Collection[str] = (), ms: float = 0.0
    ) -> None:
        """`golds` None: an unanswerable question (only the "Je ne sais pas" rate counts)."""
        self.total_ms.append(ms)
        if answer.citation_validity is not None:
            self.check_validity.append(answer.citation_validity)
        attempt = next((a for a in answer.attempts if a.ok), None)
        if attempt is not None:
            self.model_ms.append(attempt.total_ms)
            if attempt.first_token_ms is not None:
                self.first_token_ms.append(attempt.first_token_ms)
        if golds is None:
            self.unanswerable += 1
            self.idk_unanswerable += not answer.found
            return
        self.answerable += 1
        self.idk_answerable += not answer.found
        self.contained += answer_contains(answer, golds)
        if answer.found:  # "Je ne sais pas" shows the closest passages, but they support no claim
            for c in answer.citations:
                self.citations += 1
                self.valid_citations += citation_valid(c, golds, gold_passages)
            if answer.citations:
                self.top_citations += 1
                self.valid_top_citations += citation_valid(answer.citations[0], golds, gold_passages)

    @property
    def citation_validity(self) -> float | None:
        return self.valid_citations / self.citations if self.citations else None


def share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.0%})" if whole else "-"


def median_max(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.0f} / {max(values):.0f}" if values else "-"
