"""The answer benchmark's definitions (bench/_answer_metrics.py, bench/_idk.py) and its PIAF construction."""

from __future__ import annotations

import numpy as np
import pytest

from bench import _datasets
from bench._answer_metrics import Tally, answer_contains, citation_valid, contains, normalise
from bench._idk import fit_logistic, idk_rates, thresholds
from sourcier.types import Answer, Citation, Hit

PASSAGE = "Le traité fut signé en 1500. Il mit fin à la guerre. L’apprentissage dura trois ans."


def hit(text: str = PASSAGE, path: str = "piaf-001-00") -> Hit:
    return Hit(1, 1, path, "Titre", "Titre", text, None, 0, len(text), 1.0)


def answer(text: str, citations: tuple[Citation, ...] = (), *, found: bool = True) -> Answer:
    return Answer(question="q", language="fr", text=text, citations=citations, found=found)


def test_normalisation_folds_case_accents_apostrophes_and_punctuation() -> None:
    assert normalise("L’Apprentissage, « dura »!") == " l apprentissage dura "
    assert contains("L’APPRENTISSAGE dura", ["l'apprentissage"])
    assert contains("Œuvre de Böhme.", ["oeuvre de bohme"])


def test_containment_is_by_whole_words() -> None:
    assert not contains("signé en 1500", ["50"])
    assert not contains("la guerre froide", ["guerr"])
    assert contains("signé en 1500.", ["1500"])
    assert not contains("anything", ["", "  "])
    assert contains("trois ans", ["deux ans", "trois ans"])  # any of the gold answers


def test_an_extractive_answer_contains_what_its_highlighted_sentences_say() -> None:
    start = PASSAGE.index("Il mit")
    cited = Citation(1, hit(), highlights=((start, start + len("Il mit fin à la guerre.")),))
    assert answer_contains(answer("[1] ...", (cited,)), ["la guerre"])
    # in the passage, but neither highlighted nor in the text: the reader was not shown it as the answer
    assert not answer_contains(answer("[1] ...", (cited,)), ["1500"])
    assert answer_contains(answer("Il fut signé en 1500 [1].", (cited,)), ["1500"])


def test_je_ne_sais_pas_contains_nothing_even_when_its_passages_do() -> None:
    cited = Citation(1, hit(), highlights=((0, len(PASSAGE)),))
    assert not answer_contains(answer("Je ne sais pas. [1] Le traité fut signé en 1500.", (cited,), found=False),
                               ["1500"])  # fmt: skip


def test_a_citation_is_valid_on_the_gold_passage_or_when_its_passage_holds_a_gold_answer() -> None:
    assert citation_valid(Citation(1, hit(path="piaf-001-00")), ["absent"], {"piaf-001-00"})
    assert citation_valid(Citation(1, hit(path="piaf-009-03")), ["trois ans"], {"piaf-001-00"})
    assert not citation_valid(Citation(1, hit(path="piaf-009-03")), ["deux ans"], {"piaf-001-00"})
    assert not citation_valid(Citation(1, hit(text="signé en 1500")), ["50"])


def test_tally_counts_each_definition_on_its_own_questions() -> None:
    good = Citation(1, hit(path="gold"))
    wrong = Citation(2, hit(text="Rien à voir.", path="other"))
    t = Tally()
    t.add(answer("Le traité fut signé en 1500 [1][2].", (good, wrong)), ["1500"], gold_passages={"gold"})
    t.add(answer("Je ne sais pas.", (good,), found=False), ["1500"], gold_passages={"gold"})  # no citation counted
    t.add(answer("Je ne sais pas.", found=False), None)
    t.add(answer("Il fut signé en 1500 [1].", (good,)), None)  # an unanswerable question answered anyway
    assert (t.answerable, t.contained, t.idk_answerable) == (2, 1, 1)
    assert (t.unanswerable, t.idk_unanswerable) == (2, 1)
    assert (t.valid_citations, t.citations) == (1, 2) and t.citation_validity == 0.5
    assert (t.valid_top_citations, t.top_citations) == (1, 1)


def test_logistic_fit_and_operating_points_are_chosen_on_the_calibration_scores() -> None:
    rng = np.random.default_rng(0)
    answerable = np.arange(400) < 200
    x = np.column_stack([rng.normal(np.where(answerable, 1.0, -1.0), 1.0), rng.normal(size=400)])
    w, b = fit_logistic(x, answerable)
    assert w[0] > 1.0 and abs(w[1]) < 0.3  # the informative feature carries the weight
    score = x @ w + b
    points = thresholds(score, answerable)
    a, _ = idk_rates(score, points["<=10% answerable refused"], answerable)
    _, u = idk_rates(score, points[">=90% unanswerable refused"], answerable)
    assert a <= 0.10 and u >= 0.90


@pytest.mark.skipif(not (_datasets.DATA_DIR / "piaf").is_dir(), reason="../shared/data/piaf is absent")
def test_piaf_unanswerable_questions_are_exactly_those_whose_passage_was_held_out() -> None:
    from bench.answers import piaf_questions

    corpus, report, calibration, held = piaf_questions(200, 100, 0.2, seed=3)
    assert len(held) == round(0.2 * 1518) and not held & set(corpus.corpus)
    for q in report + calibration:
        (gold,) = q.gold_passages
        assert (q.golds is None) == (gold in held)
    assert sum(q.golds is None for q in report) == 100 and sum(q.golds is None for q in calibration) == 50
    article = {q.id: next(iter(q.gold_passages)).rsplit("-", 1)[0] for q in report + calibration}
    assert not {article[q.id] for q in report} & {article[q.id] for q in calibration}
    again = piaf_questions(200, 100, 0.2, seed=3)[1]
    assert [q.id for q in again] == [q.id for q in report]  # a fixed seed draws the same questions
