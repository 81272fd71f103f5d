"""Follow-up questions made standalone: with the model, or by appending the previous question."""

from __future__ import annotations

from sourcier.answer import QuestionRewriter
from sourcier.errors import LLMTimeout
from sourcier.types import Turn
from tests.llm.scripted import FakeChatModel

HISTORY = [Turn("Combien de jours de télétravail par semaine ?", "Au maximum 2 jours par semaine [1].")]


def test_without_history_the_question_is_used_as_is_and_no_model_is_called() -> None:
    fake = FakeChatModel([])
    out = QuestionRewriter(model=fake).run("Combien coûte la cantine ?", [], language="fr")
    assert (out.standalone, out.method) == ("Combien coûte la cantine ?", "unchanged") and fake.prompts == []


def test_the_model_rewrites_a_follow_up() -> None:
    fake = FakeChatModel(["Question : Combien de jours de télétravail par semaine pour les cadres ?\nautre chose"])
    out = QuestionRewriter(model=fake).run("Et pour les cadres ?", HISTORY, language="fr")
    assert out.standalone == "Combien de jours de télétravail par semaine pour les cadres ?"
    assert (out.method, out.model, out.prompt_version) == ("model", "fake-model", "rewrite.fr.v1")
    assert "Combien de jours de télétravail par semaine ?" in fake.prompts[0][-1].content


def test_without_a_model_the_previous_question_is_appended() -> None:
    out = QuestionRewriter().run("Et pour les cadres ?", HISTORY, language="fr")
    assert out.standalone == "Et pour les cadres ? — Combien de jours de télétravail par semaine ?"
    assert out.method == "appended"


def test_a_failing_or_rambling_model_falls_back_to_appending() -> None:
    failing = QuestionRewriter(model=FakeChatModel([LLMTimeout("slow")])).run("Et les cadres ?", HISTORY, language="fr")
    rambling = QuestionRewriter(model=FakeChatModel(["blabla " * 200])).run("Et les cadres ?", HISTORY, language="fr")
    assert failing.method == rambling.method == "appended"
