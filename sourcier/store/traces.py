"""One trace per question: who, what was shown, which model and prompt, how long each stage took.

A trace keeps the ids of the passages shown; read back by its user, it keeps only those they may still read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import class_row

from sourcier.errors import NotAuthenticated
from sourcier.store import users
from sourcier.store.reading import readable_passages


@dataclass(frozen=True, slots=True)
class Trace:
    question: str
    mode: str
    chunk_ids: list[int]
    total_ms: float
    answer_id: int | None = None
    prompt_version: str | None = None
    model: str | None = None
    sql: str | None = None
    rewrite_ms: float | None = None
    embed_ms: float | None = None
    retrieve_ms: float | None = None
    first_token_ms: float | None = None


@dataclass(frozen=True, slots=True)
class TraceRow:
    id: int
    answer_id: int | None
    question: str
    mode: str
    chunk_ids: list[int]
    prompt_version: str | None
    model: str | None
    sql: str | None
    rewrite_ms: float | None
    embed_ms: float | None
    retrieve_ms: float | None
    first_token_ms: float | None
    total_ms: float
    created_at: datetime


_RECORD = """
INSERT INTO traces (user_id, answer_id, question, mode, chunk_ids, prompt_version, model, sql,
                    rewrite_ms, embed_ms, retrieve_ms, first_token_ms, total_ms)
SELECT u.id, %(answer_id)s, %(question)s, %(mode)s, %(chunk_ids)s, %(prompt_version)s, %(model)s, %(sql)s,
       %(rewrite_ms)s, %(embed_ms)s, %(retrieve_ms)s, %(first_token_ms)s, %(total_ms)s
FROM users u WHERE u.name = %(user)s
RETURNING id
"""


def record(conn: Connection[Any], user: str, trace: Trace) -> int | None:
    values = {f: getattr(trace, f) for f in Trace.__dataclass_fields__}
    row = conn.execute(_RECORD, {**values, "user": user}).fetchone()
    return None if row is None else int(row[0])


_FOR_USER = """
SELECT t.id, t.answer_id, t.question, t.mode, t.chunk_ids, t.prompt_version, t.model, t.sql, t.rewrite_ms,
       t.embed_ms, t.retrieve_ms, t.first_token_ms, t.total_ms, t.created_at
FROM traces t JOIN users u ON u.id = t.user_id
WHERE u.name = %(user)s ORDER BY t.created_at DESC, t.id DESC LIMIT %(limit)s
"""


def for_user(
    conn: Connection[Any], user: str, *, limit: int = 50, principals: Sequence[str] | None = None
) -> list[TraceRow]:
    """The user's latest traces, each keeping only the passages `principals` may read now (the user's own
    current principals when not given): what was shown once is not shown again after access is lost."""
    with conn.cursor(row_factory=class_row(TraceRow)) as cur:
        cur.execute(_FOR_USER, {"user": user, "limit": limit})
        rows = cur.fetchall()
    who = _current_principals(conn, user) if principals is None else principals
    readable = readable_passages(conn, [c for t in rows for c in t.chunk_ids], who)
    return [replace(t, chunk_ids=[c for c in t.chunk_ids if c in readable]) for t in rows]


def _current_principals(conn: Connection[Any], user: str) -> tuple[str, ...]:
    """A disabled or deleted user reads nothing: no principals at all."""
    try:
        return users.identity(conn, user).principals
    except NotAuthenticated:
        return ()


_PER_DAY = """
SELECT created_at::date AS day, count(*) FROM traces
WHERE created_at > now() - %(days)s * interval '1 day' GROUP BY 1 ORDER BY 1
"""


def questions_per_day(conn: Connection[Any], *, days: int = 30) -> list[tuple[date, int]]:
    return [(r[0], int(r[1])) for r in conn.execute(_PER_DAY, {"days": days})]
