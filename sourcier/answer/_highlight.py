"""Which sentences of a passage answer the question: shared word stems, accents and case folded."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import Stemmer

_SENTENCE = re.compile(r"[^.!?…\n]+(?:[.!?…]+|\n|$)")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STOP = frozenset(
    "le la les un une des du de d l et est sont dans pour par sur avec au aux ce cette ces qui que quoi ne pas "
    "plus il elle nous vous ils elles leur leurs son sa ses mais ou donc etre avoir fait comme tout tous tres "
    "entre sans sous chez dont quel quelle quels quelles combien comment pourquoi quand en y a on se je tu "
    "the a an and is are was were in for of on with to at by from this that which who what how many much "
    "do does can when where why it its be there".split()
)


@cache
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english" if language == "en" else "french")


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def stems(text: str, language: str) -> set[str]:
    words = [w for w in _WORD.findall(fold(text)) if w not in _STOP and (len(w) > 1 or w.isdigit())]
    return set(_stemmer(language).stemWords(words))


def highlight_sentences(
    question: str, text: str, language: str, *, max_sentences: int = 2
) -> tuple[tuple[int, int], ...]:
    """Spans (start, end) in `text` of the sentences sharing the most stems with the question."""
    wanted = stems(question, language)
    if not wanted:
        return ()
    scored: list[tuple[int, int, int]] = []
    for m in _SENTENCE.finditer(text):
        sentence = m.group()
        if not sentence.strip():
            continue
        overlap = len(wanted & stems(sentence, language))
        if overlap:
            start = m.start() + (len(sentence) - len(sentence.lstrip()))
            scored.append((overlap, start, m.start() + len(sentence.rstrip())))
    best = sorted(scored, key=lambda s: (-s[0], s[1]))[:max_sentences]
    return tuple(sorted((s, e) for _, s, e in best))
