"""SentenceMatch: "Je ne sais pas" when no sentence of the top passage is close to the question."""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcier.answer import (
    I_DONT_KNOW,
    CitationChecker,
    ExtractiveAnswerer,
    GeneratedAnswerer,
    SentenceMatch,
    answerers_from,
)
from sourcier.config import Settings
from sourcier.errors import ConfigError
from sourcier.types import Hit
from tests.conftest import FakeEmbedder
from tests.llm.scripted import FakeChatModel

QUESTION = "Combien de jours de télétravail par semaine ?"
ABOUT = "Le télétravail se demande au manager. Le télétravail se fait depuis le domicile déclaré."
ANSWERS = ABOUT + " Combien de jours de télétravail par semaine : deux au plus."


def _hit(text: str) -> Hit:  # covers the question's words well: Relevance alone would answer
    return Hit(1, 1, "/docs/rh.docx", "Guide RH", "Guide RH > Télétravail", text, None, 0, len(text), 0.9,
               1, 5.0, 1, 0.85, 0.8)  # fmt: skip


def match(threshold: float = 0.6) -> SentenceMatch:
    return SentenceMatch(CitationChecker(embedder=FakeEmbedder()), min_similarity=threshold)


def test_the_closest_sentence_decides_not_the_passage_as_a_whole() -> None:
    m = match()
    assert m.similarity(QUESTION, _hit(ANSWERS)) > 0.8  # one sentence says it
    assert m.similarity(QUESTION, _hit(ABOUT)) < 0.3  # on the subject, no sentence answering
    assert m.holds(QUESTION, _hit(ANSWERS)) and not m.holds(QUESTION, _hit(ABOUT))


def test_the_extractive_answer_says_i_dont_know_when_no_sentence_matches() -> None:
    plain = ExtractiveAnswerer().run(QUESTION, [_hit(ABOUT)], language="fr")
    gated = ExtractiveAnswerer(sentence_match=match()).run(QUESTION, [_hit(ABOUT)], language="fr")
    kept = ExtractiveAnswerer(sentence_match=match()).run(QUESTION, [_hit(ANSWERS)], language="fr")
    assert plain.found  # the passage-level rule alone answers
    assert (gated.found, gated.text, gated.citations) == (False, I_DONT_KNOW["fr"], ())
    assert kept.found and kept.citations[0].hit.text == ANSWERS


def test_the_model_is_not_called_when_no_sentence_matches() -> None:
    fake = FakeChatModel(["Au plus deux jours de télétravail par semaine [1]."])
    checker = CitationChecker(embedder=FakeEmbedder())
    answerer = GeneratedAnswerer(model=fake, checker=checker, sentence_match=SentenceMatch(checker, 0.6))
    refused = answerer.run(QUESTION, [_hit(ABOUT)], language="fr")
    assert fake.prompts == [] and (refused.found, refused.text) == (False, I_DONT_KNOW["fr"])
    written = answerer.run(QUESTION, [_hit(ANSWERS)], language="fr")
    assert len(fake.prompts) == 1 and written.model == "fake-model"


@pytest.mark.parametrize("threshold", [0.0, 1.0, -0.2, 1.5])
def test_a_threshold_outside_the_open_unit_interval_is_refused(threshold: float) -> None:
    with pytest.raises(ConfigError):
        SentenceMatch(CitationChecker(embedder=FakeEmbedder()), min_similarity=threshold)


def test_the_setting_switches_it_on_for_both_answerers_built_from_settings(tmp_path: Path) -> None:
    off = answerers_from(Settings(home=tmp_path), FakeEmbedder(), None)
    on = answerers_from(
        Settings(home=tmp_path, answer_sentence_match=0.6), FakeEmbedder(), FakeChatModel(["Deux jours [1]."])
    )
    assert off.generated is None and off.extractive.run(QUESTION, [_hit(ABOUT)], language="fr").found
    assert not on.extractive.run(QUESTION, [_hit(ABOUT)], language="fr").found
    assert on.generated is not None and not on.generated.run(QUESTION, [_hit(ABOUT)], language="fr").found
    assert on.extractive.run(QUESTION, [_hit(ANSWERS)], language="fr").found
