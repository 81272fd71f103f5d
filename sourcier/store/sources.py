"""Sources as configured objects (location, schedule, default access list) and what their syncs did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, LiteralString

from psycopg import Connection
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from sourcier.errors import ConfigError, NotFound


@dataclass(frozen=True, slots=True)
class Source:
    id: int
    name: str
    kind: str
    location: str
    every_s: int | None
    default_acl: list[str]
    settings: dict[str, Any]
    next_run_at: datetime | None


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """One line of `sourcier status`: how fresh a source is and what its last runs did."""

    name: str
    kind: str
    location: str
    every_s: int | None
    default_acl: list[str]
    last_success_at: datetime | None
    last_run_status: str | None
    running: bool
    progress_done: int
    progress_total: int
    documents: int
    errors: int
    next_run_at: datetime | None


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: int
    source: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    progress_done: int
    progress_total: int
    counts: dict[str, int]
    error: str | None


@dataclass(frozen=True, slots=True)
class ItemError:
    uri: str
    reason: str
    at: datetime


_ADD = """
INSERT INTO sources (name, kind, location, every_s, default_acl, settings, next_run_at)
VALUES (%(name)s, %(kind)s, %(location)s, %(every)s, %(acl)s, %(settings)s, now())
ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, location = EXCLUDED.location,
    every_s = EXCLUDED.every_s, default_acl = EXCLUDED.default_acl, settings = EXCLUDED.settings
RETURNING id
"""


def add_source(
    conn: Connection[Any],
    *,
    name: str,
    kind: str,
    location: str,
    every_s: int | None,
    read: list[str] | tuple[str, ...],
    settings: dict[str, Any] | None = None,
) -> int:
    """Create (or redefine, same name) a source; it is due at once."""
    if not name.strip():
        raise ConfigError("a source needs a name")
    params = {
        "name": name,
        "kind": kind,
        "location": location,
        "every": every_s,
        "acl": sorted(set(read)) or ["role:admin"],
        "settings": Jsonb(settings or {}),
    }
    row = conn.execute(_ADD, params).fetchone()
    assert row is not None
    return int(row[0])


_UPDATABLE = {"kind", "location", "every_s", "default_acl", "settings", "next_run_at"}


def update_source(conn: Connection[Any], name: str, **changes: Any) -> None:
    """Change some columns of a source (kind, location, every_s, default_acl, settings, next_run_at)."""
    bad = set(changes) - _UPDATABLE
    if bad:
        raise ConfigError(f"cannot change {sorted(bad)} of a source")
    if not changes:
        return
    values = {k: Jsonb(v) if k == "settings" else v for k, v in changes.items()}
    sets = ", ".join(f"{k} = %({k})s" for k in sorted(values))  # keys checked against _UPDATABLE above
    cur = conn.execute(f"UPDATE sources SET {sets} WHERE name = %(name)s", {**values, "name": name})
    if cur.rowcount == 0:
        raise NotFound(f"no source named {name!r}", hint="see `sourcier source list`")


def remove_source(conn: Connection[Any], name: str) -> None:
    """Forget a source and, by cascade, its documents, passages and run records."""
    cur = conn.execute("DELETE FROM sources WHERE name = %(name)s", {"name": name})
    if cur.rowcount == 0:
        raise NotFound(f"no source named {name!r}", hint="see `sourcier source list`")


_SOURCE = "SELECT id, name, kind, location, every_s, default_acl, settings, next_run_at FROM sources"


def _one_source(conn: Connection[Any], query: LiteralString, params: dict[str, Any], missing: NotFound) -> Source:
    with conn.cursor(row_factory=class_row(Source)) as cur:
        row = cur.execute(query, params).fetchone()
    if row is None:
        raise missing
    return row


def get_source(conn: Connection[Any], name: str) -> Source:
    missing = NotFound(f"no source named {name!r}", hint="add it with `sourcier source add NAME LOCATION`")
    return _one_source(conn, f"{_SOURCE} WHERE name = %(name)s", {"name": name}, missing)


_DUE = """
SELECT name FROM sources
WHERE every_s IS NOT NULL AND (next_run_at IS NULL OR next_run_at <= now())
ORDER BY next_run_at NULLS FIRST, name
"""


def due_sources(conn: Connection[Any]) -> list[str]:
    """Names of the scheduled sources whose next run is due."""
    return [r[0] for r in conn.execute(_DUE)]


_LIST = """
SELECT s.name, s.kind, s.location, s.every_s, s.default_acl,
       (SELECT max(r.finished_at) FROM sync_runs r WHERE r.source_id = s.id AND r.status = 'succeeded')
           AS last_success_at,
       last.status AS last_run_status,
       coalesce(last.status = 'running', false) AS running,
       coalesce(last.progress_done, 0) AS progress_done,
       coalesce(last.progress_total, 0) AS progress_total,
       (SELECT count(*) FROM documents d WHERE d.source_id = s.id AND d.status = 'indexed')::int AS documents,
       (SELECT count(*) FROM documents d WHERE d.source_id = s.id AND d.status = 'failed')::int AS errors,
       s.next_run_at
FROM sources s
LEFT JOIN LATERAL (SELECT status, progress_done, progress_total FROM sync_runs r
                   WHERE r.source_id = s.id ORDER BY r.started_at DESC, r.id DESC LIMIT 1) last ON true
ORDER BY s.name
"""


def list_sources(conn: Connection[Any]) -> list[SourceStatus]:
    with conn.cursor(row_factory=class_row(SourceStatus)) as cur:
        return cur.execute(_LIST).fetchall()


_RECENT = """
SELECT r.id, s.name AS source, r.status, r.started_at, r.finished_at, r.progress_done, r.progress_total,
       r.counts, r.error
FROM sync_runs r JOIN sources s ON s.id = r.source_id
WHERE s.name = %(name)s ORDER BY r.started_at DESC, r.id DESC LIMIT %(limit)s
"""


def recent_runs(conn: Connection[Any], name: str, limit: int = 10) -> list[RunRecord]:
    with conn.cursor(row_factory=class_row(RunRecord)) as cur:
        return cur.execute(_RECENT, {"name": name, "limit": limit}).fetchall()


_ERRORS = "SELECT uri, reason, at FROM sync_errors WHERE run_id = %(run)s ORDER BY id"


def run_errors(conn: Connection[Any], run_id: int) -> list[ItemError]:
    with conn.cursor(row_factory=class_row(ItemError)) as cur:
        return cur.execute(_ERRORS, {"run": run_id}).fetchall()


def source_by_id(conn: Connection[Any], source_id: int) -> Source:
    missing = NotFound(f"no source with id {source_id}")
    return _one_source(conn, f"{_SOURCE} WHERE id = %(id)s", {"id": source_id}, missing)
