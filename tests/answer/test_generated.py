"""Written answers: the protocol flows against a scripted OpenAI-compatible server, and the answer rules."""

from __future__ import annotations

import pytest

from sourcier.answer import (
    I_DONT_KNOW,
    NO_MODEL_NOTICE,
    NOT_ANSWERED,
    CitationChecker,
    GeneratedAnswerer,
    says_i_dont_know,
)
from sourcier.errors import LLMError
from sourcier.llm import ChatModel, FallbackChatModel, OpenAIChatModel
from sourcier.types import Hit
from tests.llm.scripted import Cut, FakeChatModel, Reply, ScriptedServer, Stall, Status


def _hit(text: str, n: int, *, coverage: float = 0.8, rank: int | None = None) -> Hit:
    rank = rank or n
    return Hit(n, n, f"/docs/{n}.docx", "Guide RH", "Guide RH > Télétravail", text, None, 0, len(text), 0.9,
               rank, 5.0, rank, 0.85, coverage)  # fmt: skip


HITS = [
    _hit("Chaque salarié éligible peut bénéficier au maximum de 2 jours de télétravail par semaine.", 1),
    _hit("Une indemnité forfaitaire de 2,60 € par jour télétravaillé est versée avec le salaire.", 2),
]
QUESTION = "Combien de jours de télétravail par semaine ?"
GOOD = "Chaque salarié éligible peut télétravailler au maximum 2 jours par semaine [1]."


def answerer(model: ChatModel) -> GeneratedAnswerer:
    return GeneratedAnswerer(model=model, checker=CitationChecker())


def scripted(*servers: ScriptedServer, first_token_s: float = 2.0) -> FallbackChatModel:
    models = [
        OpenAIChatModel(base_url=s.base_url, model=f"m{i}", timeout_s=5, first_token_s=first_token_s)
        for i, s in enumerate(servers)
    ]
    return FallbackChatModel(models)


def test_a_supported_answer_is_streamed_then_returned_with_its_checked_citations() -> None:
    with ScriptedServer([Reply(["Chaque salarié éligible peut ", "télétravailler au maximum ",
                                "2 jours par semaine [1]."])]) as server:  # fmt: skip
        stream = answerer(scripted(server)).stream(QUESTION, HITS, language="fr")
        deltas = [d.text for d in stream]
        answer = stream.result
        prompt = server.requests[0].body["messages"]
    assert "".join(deltas) == GOOD and len(deltas) == 3
    assert answer.found and answer.text == GOOD and answer.citation_validity == 1.0
    assert [c.hit.chunk_id for c in answer.citations] == [1]
    assert answer.model == "m0 @ " + server.base_url and answer.prompt_version == "answer.fr.v1"
    assert prompt[0]["role"] == "system" and "[2] Guide RH — Télétravail" in prompt[-1]["content"]


def test_a_citation_to_a_passage_that_does_not_exist_is_removed() -> None:
    text = GOOD + " La cantine est gratuite le vendredi [5]."
    with ScriptedServer([Reply([text])]) as server:
        answer = answerer(scripted(server)).run(QUESTION, HITS, language="fr")
    assert answer.found and "[5]" not in answer.text and answer.citation_validity == 0.5
    assert answer.text == GOOD + " La cantine est gratuite le vendredi (non sourcé)."
    assert answer.flagged == ("La cantine est gratuite le vendredi",)


def test_an_unsupported_claim_is_never_shown_as_sourced() -> None:
    text = GOOD + " Les salariés reçoivent aussi une prime annuelle de 500 € [2]."
    with ScriptedServer([Reply([text])]) as server:
        answer = answerer(scripted(server)).run(QUESTION, HITS, language="fr")
    assert answer.text.endswith("prime annuelle de 500 € (non sourcé).") and answer.citation_validity == 0.5
    assert [c.hit.chunk_id for c in answer.citations] == [1]


def test_no_valid_citation_gives_i_dont_know_with_the_best_passages() -> None:
    with ScriptedServer([Reply(["Vous avez droit à 5 jours de télétravail [1]."])]) as server:
        answer = answerer(scripted(server)).run(QUESTION, HITS, language="fr")
    assert not answer.found and answer.text.startswith(NOT_ANSWERED["fr"])
    assert answer.citation_validity == 0.0 and [c.hit.chunk_id for c in answer.citations] == [1, 2]


def test_a_stream_cut_in_the_middle_goes_to_the_next_model_which_starts_over() -> None:
    with ScriptedServer([Cut(["Chaque salarié ", "éligible"])]) as a, ScriptedServer([Reply([GOOD])]) as b:
        stream = answerer(scripted(a, b)).stream(QUESTION, HITS, language="fr")
        deltas = list(stream)
        answer = stream.result
    assert [(d.text, d.restart) for d in deltas] == [("Chaque salarié ", False), ("éligible", False), (GOOD, True)]
    assert answer.found and answer.text == GOOD and answer.model == "m1 @ " + b.base_url
    assert [x.ok for x in answer.attempts] == [False, True] and "cut" in (answer.attempts[0].error or "")


def test_a_timeout_then_a_500_then_a_working_fallback() -> None:
    with ScriptedServer([Stall(3.0)]) as a, ScriptedServer([Status(500)]) as b, ScriptedServer([Reply([GOOD])]) as c:
        answer = answerer(scripted(a, b, c, first_token_s=0.3)).run(QUESTION, HITS, language="fr")
    assert answer.found and answer.text == GOOD and answer.model == "m2 @ " + c.base_url
    errors = [x.error or "" for x in answer.attempts if not x.ok]
    assert len(errors) == 2 and "within 0.3 s" in errors[0] and "HTTP 500" in errors[1]


def test_when_no_model_answers_the_extractive_answer_comes_with_a_notice() -> None:
    with ScriptedServer([Status(500)]) as a, ScriptedServer([Status(502)]) as b:
        answer = answerer(scripted(a, b)).run(QUESTION, HITS, language="fr")
    assert answer.found and answer.model is None and answer.notice == NO_MODEL_NOTICE["fr"]
    assert answer.text.startswith("Voici les passages") and "[1]" in answer.text
    assert [x.error for x in answer.attempts] == [f"m0 @ {a.base_url}: HTTP 500", f"m1 @ {b.base_url}: HTTP 502"]


def test_nothing_relevant_gives_i_dont_know_without_calling_the_model() -> None:
    weak = [_hit("La cantine ferme à 14 h.", 1, coverage=0.1, rank=12)]
    with ScriptedServer() as server:
        fr = answerer(scripted(server)).run("Quelle est la politique sur les animaux ?", weak, language="fr")
        en = answerer(scripted(server)).run("What is the pet policy?", [], language="en")
        assert server.requests == []
    assert (fr.found, fr.text, fr.model) == (False, I_DONT_KNOW["fr"], None)
    assert (en.found, en.text) == (False, I_DONT_KNOW["en"])


def test_the_model_saying_it_does_not_know_is_kept_with_the_closest_passages() -> None:
    fake = FakeChatModel(["Je ne sais pas."])
    answer = answerer(fake).run(QUESTION, HITS, language="fr")
    assert not answer.found and answer.text.startswith(NOT_ANSWERED["fr"]) and answer.model == "fake-model"
    assert says_i_dont_know("« Je ne sais pas. »") and says_i_dont_know("I don't know.")
    assert not says_i_dont_know("Je sais que 2 jours sont autorisés [1].")


def test_english_questions_get_the_english_prompt_and_answer() -> None:
    fake = FakeChatModel(["Eligible employees can work remotely up to 2 days per week [1]."])
    answer = GeneratedAnswerer(model=fake, checker=CitationChecker()).run(
        "How many remote days per week?", HITS, language="en"
    )
    assert answer.prompt_version == "answer.en.v1" and answer.language == "en"
    assert "Answer in English" in fake.prompts[0][0].content


def test_only_relevant_passages_are_given_to_the_model() -> None:
    hits = [*HITS, _hit("Le parking P2 rouvre le 30 juin.", 3, coverage=0.0, rank=40)]
    fake = FakeChatModel([GOOD])
    GeneratedAnswerer(model=fake, checker=CitationChecker(), max_passages=5).run(QUESTION, hits, language="fr")
    assert "[2]" in fake.prompts[0][-1].content and "[3]" not in fake.prompts[0][-1].content


@pytest.mark.parametrize("error", [LLMError("boom")])
def test_a_single_model_failure_without_fallbacks_still_answers(error: LLMError) -> None:
    answer = answerer(FakeChatModel([error])).run(QUESTION, HITS, language="fr")
    assert answer.found and answer.notice == NO_MODEL_NOTICE["fr"] and answer.attempts == ()
