"""The pipeline's memory: the history a follow-up is read with, and what is kept of each answer."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from psycopg import Connection

from sourcier.answer._question import Keep, Question
from sourcier.errors import NotFound
from sourcier.store import conversations, traces
from sourcier.types import AnswerRecord, Turn


def history_of(conn: Connection[Any], question: Question) -> list[Turn]:
    """The turns a follow-up is rewritten with: the client's, or the stored conversation's up to (not
    including) the answer being regenerated. A conversation that is not the asker's is NotFound.

    A stored answer the asker may no longer read (`conversations.withheld`) gives its question only: its
    text would carry what it cited into the rewrite, and from there into the model's prompt.
    """
    if question.conversation_id is None:
        return list(question.history)
    who = question.asker
    if not conversations.owned(conn, who.name, question.conversation_id):
        raise NotFound("No such conversation.")
    rows = conversations.answers(conn, who.name, question.conversation_id)
    hidden = conversations.withheld(conn, rows, who.principals)
    turns: list[Turn] = []
    for a in rows:
        if a.id == question.regenerated_from:
            break
        if a.regenerated_from is None:
            turns.append(Turn(a.question, "" if a.id in hidden else a.text))
    return turns


def keep(conn: Connection[Any], question: Question, record: AnswerRecord, *, mode: str) -> AnswerRecord:
    """Stores the answer in its conversation (when asked) and traces it; returns it with its ids.

    `mode` names the path in the trace: documents, warehouse, both, or refused.
    """
    user = question.asker.name
    if question.keep is Keep.CONVERSATION:
        conversation_id, answer_id = conversations.add_answer(conn, user, record)
        record = replace(record, conversation_id=conversation_id, answer_id=answer_id)
    times = record.times
    trace = traces.Trace(
        question=record.question,
        mode=mode,
        chunk_ids=[c.hit.chunk_id for c in record.citations] or [h.chunk_id for h in record.hits],
        total_ms=times.total_ms,
        answer_id=record.answer_id,
        prompt_version=record.prompt_version,
        model=record.model,
        sql=record.sql,
        rewrite_ms=times.rewrite_ms,
        embed_ms=times.embed_ms,
        retrieve_ms=times.retrieve_ms,
        first_token_ms=times.first_token_ms,
    )
    traces.record(conn, user, trace)
    return record
