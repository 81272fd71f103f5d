"""OpenAI-compatible chat: `GET /v1/models`, `POST /v1/chat/completions`, streamed or not.

Lets the chat clients our users already have (Open WebUI, LibreChat, Continue, any OpenAI SDK) use sourcier
as a "model". The caller is a sourcier user (bearer token, through the API's `current_user`), so answers
follow that user's access rights exactly as `/api/v1/ask` does: the same retrieval, the same "Je ne sais pas",
the same citations. The last user message is the question; earlier turns are the history that a follow-up
is rewritten against. Citations are rendered in the content ([n] markers, then a "Sources :" list with links
to `/api/v1/passages/{id}`) and given structured in an extra `sourcier` field that SDKs ignore.

Errors on these routes take OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, because OpenAI
clients read that one: a custom route class converts them where the route runs (dependencies included), and
the app's handlers do the same for /v1 paths outside it (see `_errors`).

What one request may cost is bounded: the question (the last user message) is refused past
`max_question_chars`; earlier messages are cut to that length, since clients resend the whole conversation
and refusing would end it for good; the rewriter then keeps only the recent history that fits
`max_history_tokens`.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator, Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from psycopg import Connection
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from sourcier.answer import Keep, Question
from sourcier.api._answers import Pipeline, one_text, record_out
from sourcier.api._deps import CurrentUser, SettingsDep, get_conn
from sourcier.api._errors import sourcier_status
from sourcier.api._schemas import AnswerOut, CitationOut, Text
from sourcier.errors import AccessDenied, NotAuthenticated, SourcierError
from sourcier.types import AnswerFinished, TextDelta, Turn

log = logging.getLogger(__name__)

MODEL_ID = "sourcier"
_SOURCES = {"fr": "Sources :", "en": "Sources:"}
_CHECKED = {"fr": "Après vérification des citations :", "en": "After checking citations:"}

DbConn = Annotated[Connection[Any], Depends(get_conn)]


# --- errors in OpenAI's shape ---------------------------------------------------------------------------------


class OpenAIErrorBody(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIErrorOut(BaseModel):
    error: OpenAIErrorBody


def _error(status: int, message: str, type_: str, code: str | None, param: str | None = None) -> JSONResponse:
    body = OpenAIErrorOut(error=OpenAIErrorBody(message=message, type=type_, param=param, code=code))
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


class _OpenAIRoute(APIRoute):
    """Runs the route (and its dependencies) and answers failures the way OpenAI does."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except NotAuthenticated:  # one message whatever was wrong with the token
                return _error(401, "Invalid API key.", "invalid_request_error", "invalid_api_key")
            except AccessDenied as exc:
                return _error(403, exc.message, "permission_error", "forbidden")
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {}
                where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
                message = f"{where}: {first.get('msg', 'invalid request')}" if where else "Invalid request body."
                return _error(400, message, "invalid_request_error", "invalid_request", where or None)
            except StarletteHTTPException as exc:  # FastAPI's own (bad JSON) and ours
                if exc.status_code == 401:
                    return _error(401, "Invalid API key.", "invalid_request_error", "invalid_api_key")
                type_ = "invalid_request_error" if exc.status_code < 500 else "server_error"
                return _error(exc.status_code, str(exc.detail), type_, None)
            except SourcierError as exc:  # the API's mapping (503 for a backend down...), in OpenAI's shape
                status, code, message = sourcier_status(exc)
                return _error(status, message, "invalid_request_error" if status < 500 else "server_error", code)

        return route


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": OpenAIErrorOut, "description": "Invalid request"},
    401: {"model": OpenAIErrorOut, "description": "Missing or invalid sourcier token"},
}
router = APIRouter(prefix="/v1", tags=["openai"], route_class=_OpenAIRoute, responses=_ERRORS)


# --- request and response shapes (what we accept; unknown fields are ignored) ----------------------------------


class ContentPartIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: Text
    text: Text | None = None


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: Text | list[ContentPartIn] | None = None

    @property
    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "\n".join(p.text for p in self.content if p.type == "text" and p.text)


class ChatCompletionIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    model: Text = MODEL_ID
    messages: list[ChatMessageIn] = Field(min_length=1)
    stream: bool = False
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1)


class ModelOut(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "sourcier"


class ModelListOut(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelOut]


class SourcierCitationOut(CitationOut):
    link: str


class SourcierExtraOut(BaseModel):
    """What SDKs ignore and sourcier-aware clients read: the question as answered and its citations."""

    question: str
    language: str
    found: bool
    model: str | None
    citations: list[SourcierCitationOut]


class AssistantMessageOut(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChoiceOut(BaseModel):
    index: int = 0
    message: AssistantMessageOut
    finish_reason: Literal["stop"] = "stop"


class ChatCompletionOut(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChoiceOut]
    sourcier: SourcierExtraOut


# --- rendering ----------------------------------------------------------------------------------------------------


def passage_link(passage_id: int) -> str:
    return f"/api/v1/passages/{passage_id}"


def _citation_out(c: CitationOut) -> SourcierCitationOut:
    return SourcierCitationOut(**c.model_dump(), link=passage_link(c.passage_id))


def sources_block(citations: Sequence[CitationOut], language: str) -> str:
    """The "Sources :" list that follows the [n] markers in the content."""
    if not citations:
        return ""
    lines = [_SOURCES.get(language, _SOURCES["fr"])]
    for c in citations:
        where = [c.title]
        if c.section:
            where.append(c.section)
        if c.page is not None:
            where.append(f"p. {c.page}")
        lines.append(f"[{c.number}] {' — '.join(where)} ({passage_link(c.passage_id)})")
    return "\n\n" + "\n".join(lines)


def _table_block(answer: AnswerOut) -> str:
    """A warehouse answer's result as a Markdown table (what chat clients render)."""
    if answer.table is None or not answer.table.columns:
        return ""
    head = "| " + " | ".join(answer.table.columns) + " |"
    rule = "|" + "---|" * len(answer.table.columns)
    rows = ["| " + " | ".join("" if v is None else str(v) for v in r) + " |" for r in answer.table.rows[:50]]
    sql = f"\n\n```sql\n{answer.sql}\n```" if answer.sql else ""
    return "\n\n" + "\n".join([head, rule, *rows]) + sql


def _extra(answer: AnswerOut, standalone: str) -> SourcierExtraOut:
    """`standalone`: the question as answered (a follow-up rewritten with the history)."""
    return SourcierExtraOut(
        question=standalone,
        language=answer.language,
        found=answer.found,
        model=answer.model,
        citations=[_citation_out(c) for c in answer.citations],
    )


def _strip_sources(text: str) -> str:
    """An earlier assistant turn without the sources list we appended to it."""
    for marker in _SOURCES.values():
        cut = text.find("\n\n" + marker)
        if cut >= 0:
            return text[:cut]
    return text


def conversation(messages: Sequence[ChatMessageIn], *, max_chars: int = 4000) -> tuple[str, list[Turn]]:
    """The last user message and the (question, answer) turns before it, oldest first.

    The question is refused (400) past `max_chars`: answering a cut question would answer another one.
    Each earlier message is cut to `max_chars`: it is only context for a follow-up, and a client that
    resends the conversation would otherwise be refused at every later turn.
    """
    last = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last is None or not messages[last].text.strip():
        raise HTTPException(400, "messages: a non-empty user message is needed (the question).")
    question = messages[last].text.strip()
    if len(question) > max_chars:
        raise HTTPException(400, f"messages: the last user message is longer than {max_chars} characters.")
    turns: list[Turn] = []
    pending: str | None = None
    for m in messages[:last]:
        if m.role == "user":
            pending = m.text[:max_chars]
        elif m.role == "assistant" and pending is not None:
            turns.append(Turn(question=pending, answer=_strip_sources(m.text)[:max_chars]))
            pending = None
    return question, turns


# --- routes: through the API's shared answering service ----------------------------------------------------------


def _chunk(completion_id: str, created: int, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
    chunk = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL_ID,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"


def _written(answer: AnswerOut, shown: str) -> str:
    """What the content still lacks after the streamed tokens: the checked text when it differs, the sources."""
    tail = sources_block(answer.citations, answer.language) + _table_block(answer)
    if not shown:
        return answer.text + tail
    if " ".join(shown.split()) == " ".join(answer.text.split()):
        return tail
    return f"\n\n{_CHECKED.get(answer.language, _CHECKED['fr'])}\n{answer.text}{tail}"


@router.get("/models")
def list_models(user: CurrentUser) -> ModelListOut:
    """One model, "sourcier": the company's documents, answered under the caller's access rights."""
    return ModelListOut(data=[ModelOut(id=MODEL_ID)])


@router.post("/chat/completions", response_model=None)
def chat_completions(
    body: ChatCompletionIn,
    user: CurrentUser,
    conn: DbConn,
    answering: Pipeline,
    settings: SettingsDep,
) -> ChatCompletionOut | StreamingResponse:
    """Answers the last user message from what the caller may read, with citations (as /api/v1/ask does).

    The history comes from the messages (OpenAI clients keep it): the pipeline rewrites a follow-up with it;
    the answer is traced, not stored as a sourcier conversation.
    """
    text, history = conversation(body.messages, max_chars=settings.max_question_chars)
    question = Question(asker=user, text=text, history=tuple(history), keep=Keep.TRACE)
    answer_stream = answering.ask(conn, question)
    events = one_text(answer_stream)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())

    if not body.stream:
        shown: list[str] = []
        for event in events:
            if isinstance(event, TextDelta):
                if event.restart:
                    shown.clear()
                shown.append(event.text)
        record = answer_stream.result
        answer = record_out(record)
        content = "".join(shown) + _written(answer, "".join(shown))
        return ChatCompletionOut(
            id=completion_id,
            created=created,
            model=MODEL_ID,
            choices=[ChoiceOut(message=AssistantMessageOut(content=content))],
            sourcier=_extra(answer, record.standalone),
        )

    def chunks() -> Iterator[str]:
        yield _chunk(completion_id, created, {"role": "assistant", "content": ""})
        shown: list[str] = []
        try:
            for event in events:
                if isinstance(event, TextDelta):
                    text = event.text
                    if event.restart and shown:  # a model failed mid-answer; the next starts over
                        shown.clear()
                        text = "\n\n" + text
                    shown.append(text)
                    yield _chunk(completion_id, created, {"content": text})
                elif isinstance(event, AnswerFinished):
                    answer = record_out(event.record)
                    rest = _written(answer, "".join(shown))
                    for line in rest.splitlines(keepends=True):
                        yield _chunk(completion_id, created, {"content": line})
                    extra = _extra(answer, event.record.standalone).model_dump()
                    yield _chunk(completion_id, created, {}, "stop", sourcier=extra)
        except SourcierError as exc:  # the response has started: the error goes in the content
            log.warning("chat completion failed while streaming: %s", exc)
            yield _chunk(completion_id, created, {"content": f"\n\n({exc.message})"}, "stop")
        except Exception:  # the same, for what was not expected; the log has the traceback
            log.exception("chat completion failed while streaming")
            yield _chunk(completion_id, created, {"content": "\n\n(Internal server error.)"}, "stop")
        yield "data: [DONE]\n\n"

    return StreamingResponse(chunks(), media_type="text/event-stream")
