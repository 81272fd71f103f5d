"""Documents and passages read by id for a caller: filtered on the caller's principals in SQL and under
row-level security, so that an id they may not read is indistinguishable from one that does not exist."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, LiteralString, TypeVar

from psycopg import Connection
from psycopg.rows import class_row

from sourcier.store.search import as_reader, checked_principals

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class DocumentView:
    document_id: int
    title: str
    path: str
    uri: str
    mime_type: str | None
    page_count: int | None
    modified_at: datetime | None
    source: str
    source_kind: str
    source_location: str


@dataclass(frozen=True, slots=True)
class PassageView:
    passage_id: int
    document_id: int
    title: str
    heading: str
    path: str
    page: int | None
    text: str
    char_start: int
    char_end: int


_DOCUMENT = """
SELECT d.id AS document_id, coalesce(d.title, '') AS title, d.path, d.uri, d.mime_type, d.page_count, d.modified_at,
       s.name AS source, s.kind AS source_kind, s.location AS source_location
FROM documents d JOIN sources s ON s.id = d.source_id
WHERE d.id = %(id)s AND d.status = 'indexed' AND d.acl && %(principals)s::text[]
"""


def document(conn: Connection[Any], document_id: int, principals: Sequence[str]) -> DocumentView | None:
    return _read_one(conn, DocumentView, _DOCUMENT, document_id, principals)


# A passage is readable when both its own access list and its document's meet the caller's principals.
_PASSAGE_READABLE = "c.acl && %(principals)s::text[] AND d.acl && %(principals)s::text[]"

_PASSAGE = f"""
SELECT c.id AS passage_id, c.document_id, coalesce(d.title, '') AS title, c.heading, d.path, c.page, c.text,
       c.char_start, c.char_end
FROM chunks c JOIN documents d ON d.id = c.document_id
WHERE c.id = %(id)s AND {_PASSAGE_READABLE}
"""


def passage(conn: Connection[Any], passage_id: int, principals: Sequence[str]) -> PassageView | None:
    return _read_one(conn, PassageView, _PASSAGE, passage_id, principals)


def _read_one(
    conn: Connection[Any], view: type[V], query: LiteralString, row_id: int, principals: Sequence[str]
) -> V | None:
    """The row `query` selects by `%(id)s`, as the caller: on their principals in SQL and under row-level security."""
    who = checked_principals(principals)
    with conn.transaction(), conn.cursor(row_factory=class_row(view)) as cur:
        as_reader(cur, who)
        cur.execute(query, {"id": row_id, "principals": who})
        return cur.fetchone()


_READABLE_PASSAGES = f"""
SELECT c.id, c.document_id FROM chunks c JOIN documents d ON d.id = c.document_id
WHERE c.id = ANY(%(ids)s::bigint[]) AND d.status = 'indexed' AND {_PASSAGE_READABLE}
"""


def readable_passages(conn: Connection[Any], passage_ids: Iterable[int], principals: Sequence[str]) -> dict[int, int]:
    """The passages among `passage_ids` that `principals` may read now, each with its document's id.

    What was stored earlier (an answer's citations, a trace's passages) is checked again at every read
    with this, so that a lost group, a narrowed access list or a deleted document takes effect on history
    too; an id that no longer exists is simply absent from the result.
    """
    ids = sorted(set(passage_ids))
    if not ids:
        return {}
    who = checked_principals(principals)
    with conn.transaction(), conn.cursor() as cur:
        as_reader(cur, who)
        cur.execute(_READABLE_PASSAGES, {"ids": ids, "principals": who})
        return {int(r[0]): int(r[1]) for r in cur.fetchall()}
