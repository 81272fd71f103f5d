"""Sources and documents: what was seen, what was indexed, what failed and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import class_row

from sourcier.store.chunks import delete_passages


@dataclass(frozen=True, slots=True)
class DocumentState:
    """What the store remembers of a document, to decide whether a file needs work."""

    id: int
    uri: str
    content_hash: bytes | None
    size_bytes: int | None
    modified_at: datetime | None
    chunking: str | None
    status: str
    acl: list[str]


@dataclass(frozen=True, slots=True)
class DocumentMeta:
    """What is known of a file before parsing: the part of a document row that does not come from its text."""

    uri: str
    path: str
    size_bytes: int
    modified_at: datetime
    content_hash: bytes
    acl: tuple[str, ...] = ("role:admin",)


@dataclass(frozen=True, slots=True)
class Failure:
    path: str
    error: str
    indexed_at: datetime


@dataclass(frozen=True, slots=True)
class Counts:
    documents: int
    failed: int
    chunks: int
    models: list[str]


_ENSURE_SOURCE = """
INSERT INTO sources (name, kind, location) VALUES (%(name)s, %(kind)s, %(location)s)
ON CONFLICT (name) DO UPDATE SET location = EXCLUDED.location
RETURNING id
"""


def ensure_source(conn: Connection[Any], name: str, *, location: str, kind: str = "filesystem") -> int:
    row = conn.execute(_ENSURE_SOURCE, {"name": name, "kind": kind, "location": location}).fetchone()
    assert row is not None
    return int(row[0])


def default_acl(conn: Connection[Any], source_id: int) -> tuple[str, ...]:
    row = conn.execute("SELECT default_acl FROM sources WHERE id = %s", (source_id,)).fetchone()
    return tuple(sorted(row[0])) if row else ("role:admin",)


_STATES = """
SELECT id, uri, content_hash, size_bytes, modified_at, chunking, status, acl
FROM documents WHERE source_id = %(source)s
"""


def states(conn: Connection[Any], source_id: int) -> dict[str, DocumentState]:
    with conn.cursor(row_factory=class_row(DocumentState)) as cur:
        cur.execute(_STATES, {"source": source_id})
        return {d.uri: d for d in cur.fetchall()}


_UPSERT_INDEXED = """
INSERT INTO documents (source_id, uri, path, title, mime_type, size_bytes, modified_at, content_hash,
                       language, page_count, chunking, status, error, indexed_at, acl)
VALUES (%(source)s, %(uri)s, %(path)s, %(title)s, %(mime)s, %(size)s, %(modified)s, %(hash)s,
        %(language)s, %(pages)s, %(chunking)s, 'indexed', NULL, now(), %(acl)s)
ON CONFLICT (source_id, uri) DO UPDATE SET
    path = EXCLUDED.path, title = EXCLUDED.title, mime_type = EXCLUDED.mime_type,
    size_bytes = EXCLUDED.size_bytes, modified_at = EXCLUDED.modified_at,
    content_hash = EXCLUDED.content_hash, language = EXCLUDED.language, page_count = EXCLUDED.page_count,
    chunking = EXCLUDED.chunking, status = 'indexed', error = NULL, indexed_at = now(),
    acl = EXCLUDED.acl
RETURNING id
"""

_UPSERT_BODY = """
INSERT INTO document_bodies (document_id, body) VALUES (%(doc)s, %(body)s)
ON CONFLICT (document_id) DO UPDATE SET body = EXCLUDED.body
"""


def upsert_indexed(
    conn: Connection[Any],
    source_id: int,
    meta: DocumentMeta,
    *,
    title: str,
    mime_type: str,
    language: str,
    page_count: int | None,
    body: str,
    chunking: str,
) -> int:
    row = conn.execute(
        _UPSERT_INDEXED,
        {
            "source": source_id,
            "uri": meta.uri,
            "path": meta.path,
            "title": title,
            "mime": mime_type,
            "size": meta.size_bytes,
            "modified": meta.modified_at,
            "hash": meta.content_hash,
            "language": language,
            "pages": page_count,
            "chunking": chunking,
            "acl": list(meta.acl),
        },
    ).fetchone()
    assert row is not None
    conn.execute(_UPSERT_BODY, {"doc": row[0], "body": body})
    return int(row[0])


_UPSERT_FAILED = """
INSERT INTO documents (source_id, uri, path, size_bytes, modified_at, content_hash, status, error, indexed_at, acl)
VALUES (%(source)s, %(uri)s, %(path)s, %(size)s, %(modified)s, %(hash)s, 'failed', %(error)s, now(), %(acl)s)
ON CONFLICT (source_id, uri) DO UPDATE SET
    acl = EXCLUDED.acl, path = EXCLUDED.path, size_bytes = EXCLUDED.size_bytes, modified_at = EXCLUDED.modified_at,
    content_hash = EXCLUDED.content_hash, status = 'failed', error = EXCLUDED.error,
    n_chunks = 0, n_terms = 0, indexed_at = now()
RETURNING id
"""


def record_failure(conn: Connection[Any], source_id: int, meta: DocumentMeta, error: str) -> None:
    """A file that cannot be read leaves no passages behind: the index never serves a version it can't show."""
    with conn.transaction():
        row = conn.execute(
            _UPSERT_FAILED,
            {
                "source": source_id,
                "uri": meta.uri,
                "path": meta.path,
                "size": meta.size_bytes,
                "modified": meta.modified_at,
                "hash": meta.content_hash,
                "error": error,
                "acl": list(meta.acl),
            },
        ).fetchone()
        assert row is not None
        delete_passages(conn, row[0])
        conn.execute("DELETE FROM document_bodies WHERE document_id = %(doc)s", {"doc": row[0]})


_TOUCH = """
UPDATE documents SET path = %(path)s, size_bytes = %(size)s, modified_at = %(modified)s
WHERE id = %(id)s
"""


def touch(conn: Connection[Any], document_id: int, meta: DocumentMeta) -> None:
    """Same content, new stat (a `touch`, a copy): remember the stat so that the next scan skips reading it."""
    conn.execute(_TOUCH, {"id": document_id, "path": meta.path, "size": meta.size_bytes, "modified": meta.modified_at})


_SET_DOCUMENT_ACL = "UPDATE documents SET acl = %(acl)s WHERE id = %(id)s"
_SET_CHUNKS_ACL = "UPDATE chunks SET acl = %(acl)s WHERE document_id = %(id)s"


def set_acl(conn: Connection[Any], document_id: int, acl: tuple[str, ...]) -> None:
    """A change of access rules: metadata only, nothing re-embedded; effective for queries at commit."""
    with conn.transaction():
        conn.execute(_SET_DOCUMENT_ACL, {"id": document_id, "acl": list(acl)})
        conn.execute(_SET_CHUNKS_ACL, {"id": document_id, "acl": list(acl)})


_DELETE_MISSING = """
DELETE FROM documents WHERE source_id = %(source)s AND NOT (uri = ANY(%(keep)s))
RETURNING path
"""


def delete_missing(conn: Connection[Any], source_id: int, keep_uris: list[str]) -> list[str]:
    """Remove documents (and, by cascade, their passages) no longer present in the source."""
    return [r[0] for r in conn.execute(_DELETE_MISSING, {"source": source_id, "keep": keep_uris})]


_COUNTS = """
SELECT count(*) FILTER (WHERE status = 'indexed'),
       count(*) FILTER (WHERE status = 'failed'),
       coalesce(sum(n_chunks), 0),
       (SELECT coalesce(array_agg(DISTINCT embedding_model), '{}') FROM chunks)
FROM documents
"""


def counts(conn: Connection[Any]) -> Counts:
    row = conn.execute(_COUNTS).fetchone()
    assert row is not None
    return Counts(documents=row[0], failed=row[1], chunks=int(row[2]), models=list(row[3]))


_FAILURES = "SELECT path, error, indexed_at FROM documents WHERE status = 'failed' ORDER BY path"


def failures(conn: Connection[Any]) -> list[Failure]:
    with conn.cursor(row_factory=class_row(Failure)) as cur:
        cur.execute(_FAILURES)
        return cur.fetchall()
