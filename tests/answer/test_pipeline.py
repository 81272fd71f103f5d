"""The one answering pipeline: its events in order, its seams (checks, knobs), the rewrite's language, what
it records, and that every interface reaches it (CLI ask records the same trace the API does)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from psycopg import Connection
from typer.testing import CliRunner

from sourcier.answer import AnswerPipeline, Keep, Knobs, PromptLibrary, Question, Refusal
from sourcier.cli import app
from sourcier.cli._context import Wiring
from sourcier.config import Settings
from sourcier.errors import NotFound
from sourcier.store import conversations, traces, users
from sourcier.types import (
    AnswerFinished,
    AnswerRecord,
    AskMode,
    CitationsChecked,
    Identity,
    PassagesFound,
    TextDelta,
    Turn,
)
from tests.conftest import FakeEmbedder, add_document
from tests.llm.scripted import FakeChatModel

TELEWORK = "Le télétravail est possible deux jours par semaine, le lundi et le vendredi."


@pytest.fixture
def alice(conn: Connection[Any], fake_embedder: FakeEmbedder) -> Identity:
    users.create_user(conn, "alice", password="a-long-password-1")
    add_document(conn, fake_embedder, "teletravail.md", ["everyone"], [TELEWORK])
    return users.identity(conn, "alice")


def _pipeline(settings: Settings, embedder: FakeEmbedder, **kw: Any) -> AnswerPipeline:
    return AnswerPipeline(settings=settings, embedder=embedder, **kw)


def test_events_come_in_the_contract_order_and_the_record_is_kept(
    conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder, alice: Identity
) -> None:
    stream = _pipeline(settings, fake_embedder).ask(
        conn, Question(asker=alice, text="télétravail combien de jours ?", keep=Keep.CONVERSATION)
    )
    events = list(stream)
    kinds = [type(e) for e in events]
    assert kinds[0] is PassagesFound and kinds[-2:] == [CitationsChecked, AnswerFinished]
    assert set(kinds[1:-2]) == {TextDelta}
    record = stream.result
    assert isinstance(events[-1], AnswerFinished) and events[-1].record == record
    assert record.found and record.route == "documents" and record.answer_id is not None
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == record.text
    stored = conversations.answer(conn, "alice", record.answer_id)
    assert stored is not None and stored.text == record.text
    assert [c["passage_id"] for c in stored.citations] == [c.hit.chunk_id for c in record.citations]
    (trace,) = traces.for_user(conn, "alice")
    assert trace.answer_id == record.answer_id and trace.mode == "documents"
    assert trace.chunk_ids == [c.hit.chunk_id for c in record.citations]


def test_an_input_check_refuses_before_retrieval_and_the_refusal_is_traced(
    conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder, alice: Identity
) -> None:
    seen: list[tuple[str, str]] = []

    def off_topic(question: Question, language: str) -> Refusal | None:
        seen.append((question.text, language))
        return Refusal("Je ne réponds qu'aux questions sur l'entreprise.", check="scope")

    pipeline = _pipeline(settings, fake_embedder, input_checks=[off_topic])
    record = pipeline.ask(conn, Question(asker=alice, text="Quelle est la capitale du Pérou ?")).read()
    assert seen == [("Quelle est la capitale du Pérou ?", "fr")]
    assert not record.found and record.hits == () and record.text.startswith("Je ne réponds")
    assert [t.mode for t in traces.for_user(conn, "alice")] == ["refused"]


def test_an_output_check_changes_the_answer_before_it_is_recorded(
    conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder, alice: Identity
) -> None:
    def redact(question: Question, record: AnswerRecord) -> AnswerRecord:
        return replace(record, text=record.text.replace("lundi", "[jour]"))

    pipeline = _pipeline(settings, fake_embedder, output_checks=[redact])
    record = pipeline.ask(conn, Question(asker=alice, text="télétravail jours", keep=Keep.CONVERSATION)).read()
    assert record.answer_id is not None and "lundi" not in record.text and "[jour]" in record.text
    stored = conversations.answer(conn, "alice", record.answer_id)
    assert stored is not None and "lundi" not in stored.text


def test_an_arm_may_force_the_extractive_answer_and_the_number_of_passages(
    conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder, alice: Identity
) -> None:
    add_document(conn, fake_embedder, "autre.md", ["everyone"], [f"Télétravail, note {i}." for i in range(6)])
    model = FakeChatModel([])  # any call would fail: the arm says no model
    pipeline = _pipeline(settings, fake_embedder, model=model)
    record = pipeline.ask(conn, Question(asker=alice, text="télétravail", knobs=Knobs(top_k=2, written=False))).read()
    assert record.model is None and len(record.hits) == 2 and model.prompts == []


@pytest.mark.parametrize(
    ("language", "follow_up"), [("en", "And how many days per week?"), ("fr", "Et combien de jours par semaine ?")]
)
def test_a_follow_up_is_rewritten_in_the_language_of_the_question(
    conn: Connection[Any],
    settings: Settings,
    fake_embedder: FakeEmbedder,
    alice: Identity,
    language: str,
    follow_up: str,
) -> None:
    model = FakeChatModel(["Combien de jours de télétravail par semaine ?", "Deux jours [1]."])
    history = (Turn("Le télétravail est-il possible ?", "Oui."),)
    question = Question(asker=alice, text=follow_up, history=history)
    record = _pipeline(settings, fake_embedder, model=model).ask(conn, question).read()
    expected = PromptLibrary().rewrite(follow_up, list(history), language=language).messages
    assert list(model.prompts[0]) == list(expected)
    assert record.standalone == "Combien de jours de télétravail par semaine ?" and record.question == follow_up


def test_a_conversation_of_another_user_is_not_found_before_any_event(
    conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder, alice: Identity
) -> None:
    users.create_user(conn, "bob", password="a-long-password-2")
    mine = (
        _pipeline(settings, fake_embedder)
        .ask(conn, Question(asker=alice, text="télétravail", keep=Keep.CONVERSATION))
        .read()
    )
    bob = users.identity(conn, "bob")
    stream = _pipeline(settings, fake_embedder).ask(
        conn, Question(asker=bob, text="et ensuite ?", conversation_id=mine.conversation_id)
    )
    with pytest.raises(NotFound):
        next(iter(stream))


def test_forcing_the_warehouse_without_one_is_not_found(
    conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder, alice: Identity
) -> None:
    stream = _pipeline(settings, fake_embedder).ask(
        conn, Question(asker=alice, text="combien ?", mode=AskMode.WAREHOUSE)
    )
    with pytest.raises(NotFound, match="warehouse"):
        stream.read()


def test_cli_ask_goes_through_the_pipeline_and_traces_the_user_it_acts_as(
    conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder, alice: Identity
) -> None:
    wiring = Wiring(settings=lambda: settings, embedder=lambda s: fake_embedder, chat_model=lambda s: None)
    result = CliRunner().invoke(app, ["ask", "--as", "alice", "télétravail combien de jours ?"], obj=wiring)
    assert result.exit_code == 0, result.output
    assert "lundi" in result.output and "Sources" in result.output
    (trace,) = traces.for_user(conn, "alice")
    assert trace.question == "télétravail combien de jours ?" and trace.chunk_ids
