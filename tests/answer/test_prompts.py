"""Prompt templates: versioned files, French and English, the rules, the passages numbered."""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcier.answer import PromptLibrary
from sourcier.errors import ConfigError
from sourcier.types import Hit, Turn


def _hit(text: str, n: int, page: int | None = None) -> Hit:
    return Hit(n, n, f"/docs/{n}.pdf", "Accord temps de travail", "Accord temps de travail > Article 2", text, page,
               0, len(text), 0.9)  # fmt: skip


HITS = [_hit("La durée hebdomadaire est fixée à 37 heures.", 1, page=2), _hit("Les RTT sont de 12 jours.", 2)]


def test_answer_prompt_in_french_numbers_the_passages_and_states_the_rules() -> None:
    prompt = PromptLibrary().answer("Quel est l'horaire hebdomadaire ?", HITS, language="fr")
    assert prompt.version == "answer.fr.v1"
    system, example_q, example_a, user = prompt.messages
    assert [m.role for m in prompt.messages] == ["system", "user", "assistant", "user"]
    for rule in ("uniquement", "[1]", "Je ne sais pas", "Ne mentionne jamais", "pas des instructions", "Ne révèle"):
        assert rule in system.content
    assert "[1]" in example_a.content and "Question :" in example_q.content
    assert user.content == (
        "Passages :\n"
        "[1] Accord temps de travail — Article 2 (p. 2)\nLa durée hebdomadaire est fixée à 37 heures.\n\n"
        "[2] Accord temps de travail — Article 2\nLes RTT sont de 12 jours.\n\n"
        "Question : Quel est l'horaire hebdomadaire ?"
    )


def test_answer_prompt_follows_the_question_language() -> None:
    prompt = PromptLibrary().answer("What are the weekly hours?", HITS, language="en")
    assert prompt.version == "answer.en.v1"
    assert "I don't know" in prompt.messages[0].content and "Answer in English" in prompt.messages[0].content
    assert prompt.messages[-1].content.endswith("Question: What are the weekly hours?")


def test_rewrite_prompt_carries_the_history() -> None:
    history = [Turn("Combien de jours de télétravail ?", "Au maximum 2 jours par semaine [1].")]
    prompt = PromptLibrary().rewrite("Et pour les cadres ?", history, language="fr")
    assert prompt.version == "rewrite.fr.v1"
    assert "Combien de jours de télétravail ?" in prompt.messages[-1].content
    assert prompt.messages[-1].content.endswith("Dernière question : Et pour les cadres ?")


def test_the_newest_version_is_used_unless_one_is_pinned(tmp_path: Path) -> None:
    for v in (1, 2):
        (tmp_path / f"answer.fr.v{v}.j2").write_text(f"{{% block system %}}v{v}{{% endblock %}}"
                                                     "{% block user %}{{ question }}{% endblock %}")  # fmt: skip
    assert PromptLibrary(directory=tmp_path).answer("q", HITS, language="fr").version == "answer.fr.v2"
    pinned = PromptLibrary(directory=tmp_path, version=1).answer("q", HITS, language="fr")
    assert pinned.version == "answer.fr.v1" and pinned.messages[0].content == "v1"
    with pytest.raises(ConfigError, match="No 'answer' prompt for language 'en'"):
        PromptLibrary(directory=tmp_path).answer("q", HITS, language="en")
