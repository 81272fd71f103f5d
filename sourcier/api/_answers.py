"""The answering pipeline at the API's edge: its records as pydantic models, its events as server-sent events.

The pipeline (`sourcier.answer.AnswerPipeline`) is built once by the app's lifespan and read here from
`app.state`; routes only convert what it yields. The event names are the contract's: `retrieval`,
`token`*, `citations`, `done` (or `error` once the response has started).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import StreamingResponse

from sourcier.answer import AnswerPipeline, AnswerStream
from sourcier.api._schemas import AnswerOut, CitationOut, PassageOut, TableOut
from sourcier.errors import SourcierError
from sourcier.store import conversations
from sourcier.store.conversations import citation_json
from sourcier.types import (
    AnswerEvent,
    AnswerFinished,
    AnswerRecord,
    Citation,
    CitationsChecked,
    FigureFound,
    Hit,
    PassagesFound,
    TextDelta,
)

log = logging.getLogger(__name__)

_SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


def pipeline(request: Request) -> AnswerPipeline:
    answering: AnswerPipeline = request.app.state.pipeline
    return answering


Pipeline = Annotated[AnswerPipeline, Depends(pipeline)]


def passage_out(hit: Hit) -> PassageOut:
    return PassageOut(
        passage_id=hit.chunk_id,
        document_id=hit.document_id,
        title=hit.title,
        section=hit.section,
        path=hit.path,
        page=hit.page,
        text=hit.text,
        score=hit.score,
        char_start=hit.char_start,
        char_end=hit.char_end,
    )


def citation_out(c: Citation) -> CitationOut:
    return CitationOut(**citation_json(c))


def record_out(record: AnswerRecord) -> AnswerOut:
    table = record.table
    table_out = None if table is None else TableOut(columns=list(table.columns), rows=table.json_rows())
    return _answer_out(record, record.answer_id, [citation_out(c) for c in record.citations], table_out)


def answer_out(row: conversations.AnswerRow) -> AnswerOut:
    """A stored answer, as it was given (the caller checks first that its reader may still see it)."""
    table = TableOut(**row.result_table) if row.result_table else None
    return _answer_out(row, row.id, [CitationOut(**c) for c in row.citations], table)


def _answer_out(
    answer: AnswerRecord | conversations.AnswerRow,
    answer_id: int | None,
    citations: list[CitationOut],
    table: TableOut | None,
) -> AnswerOut:
    """An answer given now (its record) or earlier (its stored row): the fields both name alike, and the rest."""
    return AnswerOut(
        answer_id=answer_id,
        conversation_id=answer.conversation_id,
        question=answer.question,
        language=answer.language,
        text=answer.text,
        found=answer.found,
        citations=citations,
        model=answer.model,
        prompt_version=answer.prompt_version,
        citation_validity=answer.citation_validity,
        notice=answer.notice,
        sql=answer.sql,
        table=table,
    )


def one_text(events: Iterable[AnswerEvent]) -> Iterator[AnswerEvent]:
    """The events with the answer's text as one run of tokens, as API clients show it: a warehouse figure
    becomes the first token (a blank line before the documents' answer), and a restart keeps it shown."""
    figure: FigureFound | None = None
    separator = ""  # the blank line of the figure's lead, sent with the first token that follows it
    for event in events:
        if isinstance(event, FigureFound):
            figure, separator = event, event.lead.removeprefix(event.text)
            yield TextDelta(event.text)
        elif isinstance(event, TextDelta) and figure is not None:
            text = figure.lead + event.text if event.restart else separator + event.text
            separator = ""
            yield TextDelta(text, restart=event.restart)
        else:
            yield event


def event_data(event: AnswerEvent) -> tuple[str, dict[str, Any]]:
    """An event's name and JSON payload in the contract's terms (after `one_text`)."""
    if isinstance(event, PassagesFound):
        return "retrieval", {"passages": [passage_out(h).model_dump() for h in event.hits]}
    if isinstance(event, CitationsChecked):
        return "citations", {"citations": [citation_out(c).model_dump() for c in event.citations]}
    if isinstance(event, AnswerFinished):
        return "done", record_out(event.record).model_dump(mode="json")
    if isinstance(event, FigureFound):
        return "token", {"text": event.text, "restart": False}
    return "token", {"text": event.text, "restart": event.restart}


def _sse(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def respond(answer: AnswerStream, stream: bool) -> StreamingResponse | AnswerOut:
    """The answer as server-sent events, or (not streamed) its record as JSON."""
    events = one_text(answer)
    if not stream:
        for _ in events:
            pass
        return record_out(answer.result)
    first = next(events)  # errors before the first event (a foreign conversation) are plain JSON errors

    def body() -> Iterator[bytes]:
        yield _sse(*event_data(first))
        try:
            for e in events:
                yield _sse(*event_data(e))
        except SourcierError as exc:
            yield _sse("error", {"message": exc.message})
        except Exception:  # the response has started: the client gets an event, the log the traceback
            log.exception("answer stream failed")
            yield _sse("error", {"message": "Internal server error."})

    return StreamingResponse(body(), media_type="text/event-stream", headers=_SSE_HEADERS)
