"""Checking a generated answer's citations: each [n] must name a given passage that supports its sentence.

A sentence is supported by a passage when every number it states appears there (with the same unit word
when the passage uses that word), and either enough of its word stems are in the passage or its embedding
is close enough to one of the passage's sentences. Thresholds: docs/answers.md (measured on
examples/verdier-citations.jsonl with `python -m bench.citations`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from sourcier.answer._highlight import _SENTENCE, _STOP, _WORD, fold, stems
from sourcier.embed import Embedder
from sourcier.errors import ConfigError
from sourcier.types import Citation, Hit

# [1], [2, 3], [2;3]; several markers may follow each other ("[1][3]").
_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_LEADING_MARKERS = re.compile(r"^\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\](?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])*[.!?…]?")
_SEGMENT = re.compile(r"[^.!?…\n]*(?:[.!?…]+|\n|$)")
# A number standing alone (not glued to letters: "P1", "B012" are names): 1 500 / 2,60 / 9h00 / 14:00 / 44.5.
_TOKEN = re.compile(
    r"(?P<number>(?<![^\W_])\d+(?:[ \u00a0\u202f]\d{3}(?!\d))*(?:[.,:h]\d+)?(?![^\W_]))"
    r"|(?P<ordinal>(?<![^\W_])\d+(?:e|er|re|eme|th|st|nd|rd)(?![^\W_]))"
    r"|(?P<word>[^\W_]+)"
    r"|(?P<mark>[^\s\w])"
)
_SYMBOLS = frozenset("%€$£")
_TRAILING = re.compile(r"(\s*([.!?…:;]*))\s*$")
UNSOURCED = {"fr": "(non sourcé)", "en": "(unsourced)"}


def _normalise_number(raw: str) -> str:
    s = re.sub(r"[ \u00a0\u202f]", "", raw).replace(",", ".").replace("h", ":")
    if ":" in s:
        hours, _, minutes = s.partition(":")
        return f"{int(hours)}:{minutes}"
    whole, dot, frac = s.partition(".")
    frac = frac.rstrip("0")
    return f"{int(whole)}.{frac}" if dot and frac else str(int(whole))


def _numbers(text: str, language: str) -> list[tuple[str, str | None]]:
    """(number, what follows it) for each number: the stem of the next word, a currency or % sign, or None
    (punctuation, another number, a stop word, the end)."""
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(fold(text))]
    out: list[tuple[str, str | None]] = []
    for i, (kind, tok) in enumerate(tokens):
        if kind == "ordinal":
            tok = re.match(r"\d+", tok).group()  # type: ignore[union-attr]
        elif kind != "number":
            continue
        unit = None
        if i + 1 < len(tokens):
            next_kind, following = tokens[i + 1]
            if following in _SYMBOLS:
                unit = following
            elif next_kind == "word" and following not in _STOP:
                unit = next(iter(stems(following, language)), None)
        out.append((_normalise_number(tok), unit))
    return out


@dataclass(frozen=True, slots=True)
class SupportRule:
    """When a passage supports a sentence. Measured on a labelled set of sentence-passage pairs.

    `min_lexical`: share of the sentence's word stems found in the passage (title and headings included).
    `min_similarity`: cosine between the sentence (embedded as a query) and the passage's closest sentence;
    used only when the stems fall short (paraphrases, a question in English on a French document).
    """

    min_lexical: float = 0.75
    min_similarity: float = 0.89

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_lexical <= 1.0:
            raise ConfigError(f"min_lexical must be in [0, 1], got {self.min_lexical}")


@dataclass(frozen=True, slots=True)
class Support:
    numbers: bool  # every number of the sentence is in the passage
    lexical: float
    similarity: float | None  # None when not needed (or no embedder)
    supported: bool


@dataclass(frozen=True, slots=True)
class CheckOutput:
    """A generated text after its citations were checked.

    `text` keeps only valid citations, renumbered [1], [2], ... in order of first use, and marks the
    sentences left without one; `citations` resolve those numbers. `written`/`valid` count the
    (sentence, passage) citations the model wrote, and those that survived.
    """

    text: str
    citations: tuple[Citation, ...]
    written: int
    valid: int
    flagged: tuple[str, ...] = field(default_factory=tuple)
    unknown_numbers: tuple[int, ...] = field(default_factory=tuple)  # [n] with no passage n

    @property
    def validity(self) -> float | None:
        return self.valid / self.written if self.written else None


@dataclass(slots=True)
class _Segment:
    body: str  # the sentence without its markers and trailing punctuation
    end: str  # trailing punctuation
    end_as_written: str  # with the space before it, if any ("réponse :")
    gap: str  # whitespace that followed it in the text
    cited: list[int] = field(default_factory=list)


def _markers(text: str) -> list[int]:
    return [int(n) for m in _MARKER.finditer(text) for n in re.split(r"\s*[,;]\s*", m.group(1))]


def _segments(text: str) -> list[_Segment]:
    out: list[_Segment] = []
    for m in _SEGMENT.finditer(text):
        raw = m.group()
        if not raw:
            continue
        lead = _LEADING_MARKERS.match(raw)
        if lead and out:  # "... semaine. [1]": markers after the period belong to the sentence before
            out[-1].cited.extend(_markers(lead.group()))
            raw = raw[lead.end() :]
        stripped = raw.rstrip()
        gap = raw[len(stripped) :]
        cited = _markers(stripped)
        clean = _MARKER.sub("", stripped)
        trail = _TRAILING.search(clean)
        end, as_written = (trail.group(2), trail.group(1)) if trail else ("", "")
        body = clean[: trail.start()] if trail else clean
        body = re.sub(r"[ \t]{2,}", " ", body).rstrip()
        if not body.strip():
            if out:
                out[-1].gap += gap
            continue
        out.append(_Segment(body=body, end=end, end_as_written=as_written, gap=gap, cited=cited))
    return out


def _needs_source(seg: _Segment, language: str) -> bool:
    """An uncited sentence that states something (a number, or several content words) needs a source."""
    if seg.end.endswith(":"):
        return False
    return bool(re.search(r"\d", seg.body)) or len(stems(seg.body, language)) >= 4


class CitationChecker:
    """Keeps the citations whose passage exists and supports the sentence citing it; drops the others.

    The embedder is used only for sentences whose stems do not settle it; without one, the lexical test
    alone decides (stricter on paraphrases).
    """

    def __init__(self, *, embedder: Embedder | None = None, rule: SupportRule | None = None) -> None:
        self._embedder = embedder
        self._rule = rule or SupportRule()
        self._sentence_vectors: dict[str, tuple[list[tuple[int, int]], np.ndarray]] = {}

    def support(self, sentence: str, hit: Hit, language: str) -> Support:
        """How well `hit` supports `sentence` (markers are ignored)."""
        sentence = _MARKER.sub("", sentence)
        passage = f"{hit.title}\n{hit.heading}\n{hit.text}"
        numbers_ok = self._numbers_ok(sentence, passage, language)
        wanted = stems(sentence, language)
        lexical = len(wanted & stems(passage, language)) / len(wanted) if wanted else 0.0
        similarity = None
        if numbers_ok and lexical < self._rule.min_lexical and self._embedder is not None:
            similarity = self.similarity(sentence, hit)
        supported = numbers_ok and (
            lexical >= self._rule.min_lexical or (similarity is not None and similarity >= self._rule.min_similarity)
        )
        return Support(numbers=numbers_ok, lexical=lexical, similarity=similarity, supported=supported)

    @staticmethod
    def _numbers_ok(sentence: str, passage: str, language: str) -> bool:
        claimed = _numbers(sentence, language)
        if not claimed:
            return True
        units: dict[str, set[str | None]] = {}
        for number, unit in _numbers(passage, language):
            units.setdefault(number, set()).add(unit)
        words = stems(passage, language) | (_SYMBOLS & set(passage))
        for number, unit in claimed:
            if number not in units:
                return False
            seen = units[number]
            if unit is not None and unit in words and unit not in seen and None not in seen:
                return False  # "30 jours" when the passage says "30 septembre" and "25 jours"
        return True

    def _passage_sentences(self, hit: Hit) -> tuple[list[tuple[int, int]], np.ndarray]:
        key = f"{hit.chunk_id}:{hash(hit.text)}"
        if key not in self._sentence_vectors:
            assert self._embedder is not None
            spans = [
                (m.start(), m.end()) for m in _SENTENCE.finditer(hit.text) if len(_WORD.findall(m.group())) >= 2
            ] or [(0, len(hit.text))]
            vectors = self._embedder.embed_passages([hit.text[s:e].strip() for s, e in spans])
            if len(self._sentence_vectors) > 256:
                self._sentence_vectors.clear()
            self._sentence_vectors[key] = (spans, vectors)
        return self._sentence_vectors[key]

    def similarity(self, sentence: str, hit: Hit) -> float:
        """Cosine between the sentence (as a query) and the closest sentence of the passage."""
        if self._embedder is None:
            raise ConfigError("CitationChecker.similarity needs an embedder")
        _, vectors = self._passage_sentences(hit)
        q = self._embedder.embed_query(sentence)
        return float(np.max(vectors @ q))

    def run(self, text: str, hits: Sequence[Hit], *, language: str) -> CheckOutput:
        """Check `text`, whose [n] refer to `hits` in order ([1] is hits[0])."""
        lang = "en" if language == "en" else "fr"
        segments = _segments(text)
        written = valid = 0
        unknown: set[int] = set()
        renumber: dict[int, int] = {}
        claims: dict[int, list[str]] = {}
        flagged: list[str] = []
        parts: list[str] = []
        for seg in segments:
            kept: list[int] = []
            for n in dict.fromkeys(seg.cited):
                written += 1
                if not 1 <= n <= len(hits):
                    unknown.add(n)
                    continue
                if not self.support(seg.body, hits[n - 1], lang).supported:
                    continue
                valid += 1
                kept.append(renumber.setdefault(n, len(renumber) + 1))
                claims.setdefault(n, []).append(seg.body)
            if kept:
                marks = "".join(f"[{k}]" for k in sorted(kept))
                parts.append(f"{seg.body} {marks}{seg.end}{seg.gap}")
            elif seg.cited or _needs_source(seg, lang):
                flagged.append(seg.body.strip())
                parts.append(f"{seg.body} {UNSOURCED[lang]}{seg.end}{seg.gap}")
            else:
                parts.append(f"{seg.body}{seg.end_as_written}{seg.gap}")
        citations = tuple(
            Citation(number=new, hit=hits[old - 1], highlights=_best_sentences(claims[old], hits[old - 1].text, lang))
            for old, new in sorted(renumber.items(), key=lambda kv: kv[1])
        )
        return CheckOutput(
            text="".join(parts).strip(),
            citations=citations,
            written=written,
            valid=valid,
            flagged=tuple(flagged),
            unknown_numbers=tuple(sorted(unknown)),
        )


def _best_sentences(claims: list[str], text: str, language: str) -> tuple[tuple[int, int], ...]:
    """For each claim, the span of the passage sentence sharing the most stems with it."""
    sentences = [m for m in _SENTENCE.finditer(text) if m.group().strip()]
    spans: set[tuple[int, int]] = set()
    for claim in claims:
        wanted = stems(claim, language)
        best = max(sentences, key=lambda m: len(wanted & stems(m.group(), language)), default=None)
        if best is not None and wanted & stems(best.group(), language):
            raw = best.group()
            start = best.start() + (len(raw) - len(raw.lstrip()))
            spans.add((start, best.start() + len(raw.rstrip())))
    return tuple(sorted(spans))
