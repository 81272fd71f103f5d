"""Conversations and their answers, always read through their owner (another user's id reads as absent).

An answer is stored with the passages it cited, and shows their text, titles and paths; so whether its
owner may still see it is decided again at each read, on their current principals (`withheld`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from sourcier.store.reading import readable_passages
from sourcier.types import AnswerRecord, Citation


@dataclass(frozen=True, slots=True)
class ConversationRow:
    id: int
    title: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AnswerRow:
    id: int
    conversation_id: int
    question: str
    language: str
    text: str
    found: bool
    citations: list[dict[str, Any]]
    model: str | None
    prompt_version: str | None
    citation_validity: float | None
    notice: str | None
    sql: str | None
    result_table: dict[str, Any] | None
    regenerated_from: int | None

    def cited(self) -> list[tuple[int, int]] | None:
        """The (passage, document) pairs the answer cites; None when a stored citation lacks either id,
        which `withheld` then treats as unreadable rather than guess."""
        pairs: list[tuple[int, int]] = []
        for c in self.citations:
            passage, document = c.get("passage_id"), c.get("document_id")
            if not isinstance(passage, int) or not isinstance(document, int):
                return None
            pairs.append((passage, document))
        return pairs


_CREATE = """
INSERT INTO conversations (user_id, title) SELECT id, %(title)s FROM users WHERE name = %(user)s RETURNING id
"""


def create(conn: Connection[Any], user: str, title: str) -> int:
    row = conn.execute(_CREATE, {"user": user, "title": title[:200]}).fetchone()
    if row is None:
        raise LookupError(user)
    return int(row[0])


_OWNED = "SELECT c.id FROM conversations c JOIN users u ON u.id = c.user_id WHERE c.id = %(id)s AND u.name = %(user)s"


def owned(conn: Connection[Any], user: str, conversation_id: int) -> bool:
    return conn.execute(_OWNED, {"id": conversation_id, "user": user}).fetchone() is not None


_LIST = """
SELECT c.id, c.title, c.updated_at FROM conversations c JOIN users u ON u.id = c.user_id
WHERE u.name = %(user)s ORDER BY c.updated_at DESC, c.id DESC LIMIT %(limit)s
"""


def list_for(conn: Connection[Any], user: str, *, limit: int = 100) -> list[ConversationRow]:
    with conn.cursor(row_factory=class_row(ConversationRow)) as cur:
        cur.execute(_LIST, {"user": user, "limit": limit})
        return cur.fetchall()


_GET = """
SELECT c.id, c.title, c.updated_at FROM conversations c JOIN users u ON u.id = c.user_id
WHERE c.id = %(id)s AND u.name = %(user)s
"""


def get(conn: Connection[Any], user: str, conversation_id: int) -> ConversationRow | None:
    with conn.cursor(row_factory=class_row(ConversationRow)) as cur:
        cur.execute(_GET, {"id": conversation_id, "user": user})
        return cur.fetchone()


_ANSWER_COLUMNS = """a.id, a.conversation_id, a.question, a.language, a.text, a.found, a.citations, a.model,
       a.prompt_version, a.citation_validity, a.notice, a.sql, a.result_table, a.regenerated_from"""

_ANSWERS = f"""
SELECT {_ANSWER_COLUMNS} FROM answers a JOIN users u ON u.id = a.user_id
WHERE a.conversation_id = %(id)s AND u.name = %(user)s ORDER BY a.created_at, a.id
"""


def answers(conn: Connection[Any], user: str, conversation_id: int) -> list[AnswerRow]:
    with conn.cursor(row_factory=class_row(AnswerRow)) as cur:
        cur.execute(_ANSWERS, {"id": conversation_id, "user": user})
        return cur.fetchall()


def withheld(conn: Connection[Any], rows: Sequence[AnswerRow], principals: Sequence[str]) -> set[int]:
    """Ids of the answers among `rows` that cite a passage `principals` may no longer read (a group left, an
    access list narrowed, a document or passage deleted or replaced), or a passage of another document than
    the one cited. One such citation withholds the whole answer: its text may quote any of them.

    Readability is the one rule reads by id use (`reading.readable_passages`), checked in one statement for
    all the rows; an answer without citations (not found, the warehouse's) is never withheld.
    """
    cited = {row.id: row.cited() for row in rows}
    ids = [p for pairs in cited.values() for p, _ in pairs or ()]
    readable = readable_passages(conn, ids, principals)
    return {a for a, pairs in cited.items() if pairs is None or any(readable.get(p) != d for p, d in pairs)}


_ANSWER = f"""
SELECT {_ANSWER_COLUMNS} FROM answers a JOIN users u ON u.id = a.user_id
WHERE a.id = %(id)s AND u.name = %(user)s
"""


def answer(conn: Connection[Any], user: str, answer_id: int) -> AnswerRow | None:
    with conn.cursor(row_factory=class_row(AnswerRow)) as cur:
        cur.execute(_ANSWER, {"id": answer_id, "user": user})
        return cur.fetchone()


_ADD = """
WITH owner AS (
    SELECT c.id AS conversation_id, u.id AS user_id FROM conversations c JOIN users u ON u.id = c.user_id
    WHERE c.id = %(conversation)s AND u.name = %(user)s
), touched AS (
    UPDATE conversations SET updated_at = now() WHERE id IN (SELECT conversation_id FROM owner)
)
INSERT INTO answers (conversation_id, user_id, question, language, text, found, citations, model, prompt_version,
                     citation_validity, notice, sql, result_table, regenerated_from)
SELECT conversation_id, user_id, %(question)s, %(language)s, %(text)s, %(found)s, %(citations)s, %(model)s,
       %(prompt_version)s, %(citation_validity)s, %(notice)s, %(sql)s, %(result_table)s, %(regenerated_from)s
FROM owner
RETURNING id
"""


def add_answer(conn: Connection[Any], user: str, record: AnswerRecord) -> tuple[int, int]:
    """Stores `record` in its conversation, or in a new one titled by its question when it has none.

    Returns (conversation id, answer id). The citations keep what the answer showed of each passage (title,
    section, path, page, highlights) and its ids, against which `withheld` checks the reader's rights.
    """
    conversation_id = record.conversation_id
    if conversation_id is None:
        conversation_id = create(conn, user, record.question)
    table = None if record.table is None else {"columns": list(record.table.columns), "rows": record.table.json_rows()}
    values = {
        "question": record.question,
        "language": record.language,
        "text": record.text,
        "found": record.found,
        "citations": Jsonb([citation_json(c) for c in record.citations]),
        "model": record.model,
        "prompt_version": record.prompt_version,
        "citation_validity": record.citation_validity,
        "notice": record.notice,
        "sql": record.sql,
        "result_table": None if table is None else Jsonb(table),
        "regenerated_from": record.regenerated_from,
    }
    row = conn.execute(_ADD, {**values, "conversation": conversation_id, "user": user}).fetchone()
    if row is None:
        raise LookupError(conversation_id)
    return conversation_id, int(row[0])


def citation_json(c: Citation) -> dict[str, Any]:
    """A citation as stored with its answer (and as the API shows it): the passage's place, not its text."""
    return {
        "number": c.number,
        "passage_id": c.hit.chunk_id,
        "document_id": c.hit.document_id,
        "title": c.hit.title,
        "section": c.hit.section,
        "path": c.hit.path,
        "page": c.hit.page,
        "highlights": [[s, e] for s, e in c.highlights],
    }


_DELETE = """
DELETE FROM conversations c USING users u WHERE u.id = c.user_id AND c.id = %(id)s AND u.name = %(user)s
"""


def delete(conn: Connection[Any], user: str, conversation_id: int) -> bool:
    return conn.execute(_DELETE, {"id": conversation_id, "user": user}).rowcount > 0
