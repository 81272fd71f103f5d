"""Ask (server-sent events or JSON), search, regenerate and feedback."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from psycopg import Connection

from sourcier.api._deps import Conn, CurrentUser, IdPath, SettingsDep
from sourcier.api._schemas import AnswerOut, AskIn, AskMode, FeedbackIn, Ok, RegenerateIn, SearchIn, SearchOut
from sourcier.api._service import Answering, Event, passage_out
from sourcier.errors import NotFound, SourcierError
from sourcier.store import conversations, feedback
from sourcier.types import Identity

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["ask"])

_SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


def answering(request: Request) -> Answering:
    svc: Answering = request.app.state.answering
    return svc


def _sse(event: Event) -> bytes:
    return f"event: {event.name}\ndata: {json.dumps(event.data, ensure_ascii=False)}\n\n".encode()


def _respond(events: Iterator[Event], stream: bool) -> StreamingResponse | AnswerOut:
    if not stream:
        for e in events:
            if e.answer is not None:
                return e.answer
        raise SourcierError("No answer was produced.")
    first = next(events)  # errors before the first event (a foreign conversation) are plain JSON errors

    def body() -> Iterator[bytes]:
        yield _sse(first)
        try:
            for e in events:
                yield _sse(e)
        except SourcierError as exc:
            yield _sse(Event("error", {"message": exc.message}))
        except Exception:  # the response has started: the client gets an event, the log the traceback
            log.exception("answer stream failed")
            yield _sse(Event("error", {"message": "Internal server error."}))

    return StreamingResponse(body(), media_type="text/event-stream", headers=_SSE_HEADERS)


@router.post("/ask", response_model=AnswerOut, responses={200: {"content": {"text/event-stream": {}}}})
def ask(body: AskIn, request: Request, who: CurrentUser, conn: Conn, settings: SettingsDep) -> Any:
    """Stream (default): `retrieval`, `token`*, `citations`, `done` events; else the AnswerOut as JSON."""
    check_question_length(body.question, settings.max_question_chars)
    events = answering(request).ask(conn, who, body.question, conversation_id=body.conversation_id, mode=body.mode)
    return _respond(events, body.stream)


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
def search(body: SearchIn, request: Request, who: CurrentUser, conn: Conn) -> SearchOut:
    hits = answering(request).search(conn, who, body.query, k=body.k, mode=body.mode)
    return SearchOut(passages=[passage_out(h) for h in hits])


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
    answer_id: IdPath, request: Request, who: CurrentUser, conn: Conn, body: RegenerateIn | None = None
) -> Any:
    """A new answer to the same question in the same conversation; the earlier one is kept."""
    old = _owned_answer(conn, who, answer_id)
    # Same path as the first time: the warehouse alone, the documents alone, or routed again (both).
    mode: AskMode = "documents" if not old.sql else "warehouse" if not old.citations else "auto"
    events = answering(request).ask(
        conn, who, old.question, conversation_id=old.conversation_id, mode=mode, regenerated_from=old.id
    )
    return _respond(events, body.stream if body is not None else True)
