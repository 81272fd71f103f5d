"""Ask (server-sent events or JSON), search, regenerate and feedback."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError
from psycopg import Connection

from sourcier.answer import Keep, Question
from sourcier.api._answers import Pipeline, passage_out, respond
from sourcier.api._deps import Conn, CurrentUser, IdPath, SettingsDep
from sourcier.api._schemas import AnswerOut, AskIn, FeedbackIn, Ok, RegenerateIn, SearchIn, SearchOut
from sourcier.errors import NotFound
from sourcier.store import conversations, feedback
from sourcier.types import AskMode, Identity

router = APIRouter(prefix="/api/v1", tags=["ask"])


@router.post("/ask", response_model=AnswerOut, responses={200: {"content": {"text/event-stream": {}}}})
def ask(body: AskIn, answering: Pipeline, who: CurrentUser, conn: Conn, settings: SettingsDep) -> Any:
    """Stream (default): `retrieval`, `token`*, `citations`, `done` events; else the AnswerOut as JSON."""
    check_question_length(body.question, settings.max_question_chars)
    question = Question(
        asker=who,
        text=body.question,
        mode=AskMode(body.mode),
        conversation_id=body.conversation_id,
        keep=Keep.CONVERSATION,
    )
    return respond(answering.ask(conn, question), body.stream)


def check_question_length(question: str, limit: int) -> None:
    """A question over `max_question_chars` is refused (422), not cut: a cut question is not the one asked.

    The schema only bounds it by the ceiling the setting may be raised to; the setting applies here.
    """
    if len(question) > limit:
        raise RequestValidationError(
            [
                {
                    "type": "string_too_long",
                    "loc": ("body", "question"),
                    "msg": f"String should have at most {limit} characters",
                    "input": None,
                    "ctx": {"max_length": limit},
                }
            ]
        )


@router.post("/search", response_model=SearchOut)
def search(body: SearchIn, answering: Pipeline, who: CurrentUser, conn: Conn) -> SearchOut:
    found = answering.search(conn, who, body.query, k=body.k, mode=body.mode)
    return SearchOut(passages=[passage_out(h) for h in found.hits])


def _owned_answer(conn: Connection[Any], who: Identity, answer_id: int) -> conversations.AnswerRow:
    row = conversations.answer(conn, who.name, answer_id)
    if row is None:
        raise NotFound("No such answer.")
    return row


@router.post("/answers/{answer_id}/feedback", response_model=Ok, tags=["feedback"])
def give_feedback(answer_id: IdPath, body: FeedbackIn, who: CurrentUser, conn: Conn) -> Ok:
    if not feedback.set_feedback(conn, who.name, answer_id, body.rating, body.comment):
        raise NotFound("No such answer.")
    return Ok()


@router.post(
    "/answers/{answer_id}/regenerate",
    response_model=AnswerOut,
    responses={200: {"content": {"text/event-stream": {}}}},
    tags=["feedback"],
)
def regenerate(
    answer_id: IdPath, answering: Pipeline, who: CurrentUser, conn: Conn, body: RegenerateIn | None = None
) -> Any:
    """A new answer to the same question in the same conversation; the earlier one is kept."""
    old = _owned_answer(conn, who, answer_id)
    # Same path as the first time: the warehouse alone, the documents alone, or routed again (both).
    mode = AskMode.DOCUMENTS if not old.sql else AskMode.WAREHOUSE if not old.citations else AskMode.AUTO
    question = Question(
        asker=who,
        text=old.question,
        mode=mode,
        conversation_id=old.conversation_id,
        regenerated_from=old.id,
        keep=Keep.CONVERSATION,
    )
    return respond(answering.ask(conn, question), body.stream if body is not None else True)
