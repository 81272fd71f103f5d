"""Sync runs, the job table workers share, per-item errors and retries with backoff."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

_SYNC_LOCK_CLASS = 0x50C7  # first key of pg_try_advisory_lock(class, source id)


@dataclass(frozen=True, slots=True)
class KnownDocument:
    """What the store remembers of a document, to triage a listed item."""

    id: int
    uri: str
    version: str | None
    size_bytes: int | None
    modified_at: datetime | None
    content_hash: bytes | None
    chunking: str | None
    status: str
    acl: list[str]


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    run_id: int
    source_id: int
    uri: str
    path: str
    version: str
    size_bytes: int | None
    modified_at: datetime | None
    acl: list[str]


@dataclass(frozen=True, slots=True)
class Retry:
    uri: str
    attempts: int
    next_retry_at: datetime
    due: bool


# -- the per-source lock ---------------------------------------------------------------------------------


def try_lock_source(conn: Connection[Any], source_id: int) -> bool:
    """Session-level advisory lock: released when the run ends or its connection dies (kill -9)."""
    row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (_SYNC_LOCK_CLASS, source_id)).fetchone()
    return bool(row and row[0])


def unlock_source(conn: Connection[Any], source_id: int) -> None:
    conn.execute("SELECT pg_advisory_unlock(%s, %s)", (_SYNC_LOCK_CLASS, source_id))


# -- runs --------------------------------------------------------------------------------------------------

_INTERRUPT = """
UPDATE sync_runs SET status = 'interrupted', finished_at = now(),
    error = coalesce(error, 'the process running this sync stopped before it finished')
WHERE source_id = %(source)s AND status = 'running'
RETURNING id
"""


def interrupt_dead_runs(conn: Connection[Any], source_id: int) -> list[int]:
    """Runs still 'running' while we hold the source's lock belong to dead processes; drop their jobs."""
    with conn.transaction():
        ids = [r[0] for r in conn.execute(_INTERRUPT, {"source": source_id})]
        conn.execute("DELETE FROM sync_jobs WHERE run_id = ANY(%(ids)s) AND state = 'pending'", {"ids": ids})
    return ids


def start_run(conn: Connection[Any], source_id: int) -> int:
    row = conn.execute("INSERT INTO sync_runs (source_id) VALUES (%s) RETURNING id", (source_id,)).fetchone()
    assert row is not None
    return int(row[0])


_PLAN = """
UPDATE sync_runs SET listed = %(listed)s, vanished = %(vanished)s, progress_total = %(total)s
WHERE id = %(run)s
"""


def record_plan(conn: Connection[Any], run_id: int, *, listed: list[str], vanished: list[str], total: int) -> None:
    conn.execute(_PLAN, {"run": run_id, "listed": listed, "vanished": vanished, "total": total})


_FINISH = """
UPDATE sync_runs SET status = %(status)s, finished_at = now(), counts = %(counts)s, error = %(error)s,
    progress_done = (SELECT count(*) FROM sync_jobs WHERE run_id = %(run)s AND state <> 'pending')
WHERE id = %(run)s
"""


def finish_run(
    conn: Connection[Any], run_id: int, *, status: str, counts: dict[str, int], error: str | None = None
) -> None:
    conn.execute(_FINISH, {"run": run_id, "status": status, "counts": Jsonb(counts), "error": error})


_SCHEDULE_NEXT = """
UPDATE sources SET next_run_at = CASE WHEN every_s IS NULL THEN NULL
                                      ELSE now() + make_interval(secs => every_s) END
WHERE id = %(source)s
"""


def schedule_next(conn: Connection[Any], source_id: int) -> None:
    conn.execute(_SCHEDULE_NEXT, {"source": source_id})


def run_vanished(conn: Connection[Any], run_id: int) -> list[str]:
    row = conn.execute("SELECT vanished FROM sync_runs WHERE id = %s", (run_id,)).fetchone()
    return list(row[0]) if row else []


_DELETE_UNLISTED = """
DELETE FROM documents d USING sync_runs r
WHERE r.id = %(run)s AND d.source_id = r.source_id AND NOT (d.uri = ANY(r.listed))
RETURNING d.path
"""


def delete_unlisted(conn: Connection[Any], run_id: int) -> list[str]:
    """Documents the run's listing did not see are gone from the source: remove them (passages cascade)."""
    return [r[0] for r in conn.execute(_DELETE_UNLISTED, {"run": run_id})]


# -- documents as the sync sees them -------------------------------------------------------------------

_KNOWN = """
SELECT id, uri, version, size_bytes, modified_at, content_hash, chunking, status, acl
FROM documents WHERE source_id = %(source)s
"""


def known_documents(conn: Connection[Any], source_id: int) -> dict[str, KnownDocument]:
    with conn.cursor(row_factory=class_row(KnownDocument)) as cur:
        return {d.uri: d for d in cur.execute(_KNOWN, {"source": source_id})}


def known_document(conn: Connection[Any], source_id: int, uri: str) -> KnownDocument | None:
    with conn.cursor(row_factory=class_row(KnownDocument)) as cur:
        return cur.execute(_KNOWN + " AND uri = %(uri)s", {"source": source_id, "uri": uri}).fetchone()


def set_version(conn: Connection[Any], document_id: int, version: str) -> None:
    conn.execute("UPDATE documents SET version = %s WHERE id = %s", (version, document_id))


_MOVE = """
WITH old AS (
    SELECT id, uri FROM documents
    WHERE source_id = %(source)s AND content_hash = %(hash)s AND status = 'indexed'
      AND chunking = %(chunking)s AND uri = ANY(%(vanished)s)
    ORDER BY uri LIMIT 1 FOR UPDATE SKIP LOCKED)
UPDATE documents d SET uri = %(new_uri)s, path = %(path)s, version = %(version)s, size_bytes = %(size)s,
    modified_at = %(modified)s, acl = %(acl)s
FROM old WHERE d.id = old.id
RETURNING d.id, old.uri
"""


def move_document(
    conn: Connection[Any],
    *,
    source_id: int,
    content_hash: bytes,
    chunking: str,
    vanished: Sequence[str],
    new_uri: str,
    path: str,
    version: str,
    size: int | None,
    modified_at: datetime | None,
    acl: Sequence[str],
) -> tuple[int, str] | None:
    """A vanished document with this content takes the new uri in place (id and passages kept); (id, old uri)."""
    row = conn.execute(
        _MOVE,
        {
            "source": source_id,
            "hash": content_hash,
            "chunking": chunking,
            "vanished": list(vanished),
            "new_uri": new_uri,
            "path": path,
            "version": version,
            "size": size,
            "modified": modified_at,
            "acl": list(acl),
        },
    ).fetchone()
    if row is None:
        return None
    conn.execute("UPDATE chunks SET acl = %(acl)s WHERE document_id = %(id)s", {"acl": list(acl), "id": row[0]})
    return int(row[0]), str(row[1])


# -- jobs ----------------------------------------------------------------------------------------------------

_COPY_JOBS = "COPY sync_jobs (run_id, uri, path, version, size_bytes, modified_at, acl) FROM STDIN"


def enqueue(
    conn: Connection[Any],
    run_id: int,
    items: Sequence[tuple[str, str, str, int | None, datetime | None, Sequence[str]]],
) -> None:
    """(uri, path, version, size, modified_at, acl) per item to read."""
    with conn.cursor() as cur, cur.copy(_COPY_JOBS) as copy:
        for uri, path, version, size, modified, acl in items:
            copy.write_row((run_id, uri, path, version, size, modified, list(acl)))


_CLAIM = """
UPDATE sync_jobs j SET worker = %(worker)s, leased_until = now() + make_interval(secs => %(lease)s)
FROM sync_runs r
WHERE r.id = j.run_id AND j.id IN (
    SELECT j2.id FROM sync_jobs j2 JOIN sync_runs r2 ON r2.id = j2.run_id
    WHERE j2.state = 'pending' AND r2.status = 'running' AND (%(run)s::bigint IS NULL OR j2.run_id = %(run)s)
      AND (j2.leased_until IS NULL OR j2.leased_until < now())
    ORDER BY j2.id LIMIT %(n)s
    FOR UPDATE OF j2 SKIP LOCKED)
RETURNING j.id, j.run_id, r.source_id, j.uri, j.path, j.version, j.size_bytes, j.modified_at, j.acl
"""


def claim(conn: Connection[Any], *, worker: str, n: int, lease_s: float, run_id: int | None = None) -> list[Job]:
    """Lease up to n pending jobs (of one run, or of any running run); others skip the rows we lock."""
    with conn.cursor(row_factory=class_row(Job)) as cur:
        jobs = cur.execute(_CLAIM, {"worker": worker, "n": n, "lease": lease_s, "run": run_id}).fetchall()
    return sorted(jobs, key=lambda j: j.id)


_EXTEND = """
UPDATE sync_jobs SET leased_until = now() + make_interval(secs => %(lease)s)
WHERE worker = %(worker)s AND state = 'pending'
"""


def extend_leases(conn: Connection[Any], *, worker: str, lease_s: float) -> int:
    """Push back the end of every lease this worker holds (its heartbeat); returns how many it holds.

    A job another worker took over after our lease ran out carries that worker's name: it is not ours
    any more and stays untouched.
    """
    return conn.execute(_EXTEND, {"worker": worker, "lease": lease_s}).rowcount


_COMPLETE = """
UPDATE sync_jobs SET state = %(state)s, outcome = %(outcome)s, chunks = %(chunks)s, embedded = %(embedded)s,
    worker = %(worker)s, finished_at = now()
WHERE id = %(id)s AND state = 'pending'
"""
_PROGRESS = "UPDATE sync_runs SET progress_done = progress_done + 1 WHERE id = %(run)s"


def complete(
    conn: Connection[Any],
    job: Job,
    *,
    worker: str,
    outcome: str,
    chunks: int = 0,
    embedded: int = 0,
    failed: bool = False,
) -> bool:
    """Mark a job finished, inside the caller's document transaction; False if someone else finished it."""
    cur = conn.execute(
        _COMPLETE,
        {
            "id": job.id,
            "state": "failed" if failed else "done",
            "outcome": outcome,
            "chunks": chunks,
            "embedded": embedded,
            "worker": worker,
        },
    )
    if cur.rowcount == 0:
        return False
    conn.execute(_PROGRESS, {"run": job.run_id})
    return True


def error_count(conn: Connection[Any], run_id: int) -> int:
    """Problems recorded for a run by every worker: failed items and parts of the source that could not be listed."""
    row = conn.execute("SELECT count(*) FROM sync_errors WHERE run_id = %s", (run_id,)).fetchone()
    return int(row[0]) if row else 0


def pending_count(conn: Connection[Any], run_id: int) -> int:
    row = conn.execute("SELECT count(*) FROM sync_jobs WHERE run_id = %s AND state = 'pending'", (run_id,)).fetchone()
    return int(row[0]) if row else 0


_OUTCOMES = """
SELECT outcome, count(*), coalesce(sum(chunks), 0), coalesce(sum(embedded), 0)
FROM sync_jobs WHERE run_id = %(run)s AND state <> 'pending' GROUP BY outcome
"""


def outcomes(conn: Connection[Any], run_id: int) -> dict[str, tuple[int, int, int]]:
    """outcome -> (jobs, chunks, embedded), over every worker that took part in the run."""
    return {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in conn.execute(_OUTCOMES, {"run": run_id})}


# -- errors and retries --------------------------------------------------------------------------------------


def record_error(conn: Connection[Any], run_id: int, uri: str, reason: str) -> None:
    conn.execute("INSERT INTO sync_errors (run_id, uri, reason) VALUES (%s, %s, %s)", (run_id, uri, reason))


_RETRY_LATER = """
INSERT INTO sync_retries (source_id, uri, attempts, next_retry_at, reason)
VALUES (%(source)s, %(uri)s, 1, now() + make_interval(secs => %(base)s), %(reason)s)
ON CONFLICT (source_id, uri) DO UPDATE SET
    attempts = sync_retries.attempts + 1,
    next_retry_at = now() + make_interval(secs => least(%(base)s * power(2, sync_retries.attempts), 86400)),
    reason = EXCLUDED.reason
"""


def retry_later(conn: Connection[Any], source_id: int, uri: str, reason: str, *, base_s: float) -> None:
    """Exponential backoff: base, 2 x base, 4 x base ... capped at a day."""
    conn.execute(_RETRY_LATER, {"source": source_id, "uri": uri, "reason": reason, "base": base_s})


def clear_retry(conn: Connection[Any], source_id: int, uri: str) -> None:
    conn.execute("DELETE FROM sync_retries WHERE source_id = %s AND uri = %s", (source_id, uri))


_RETRIES = """
SELECT uri, attempts, next_retry_at, next_retry_at <= now() AS due FROM sync_retries WHERE source_id = %(source)s
"""


def retries(conn: Connection[Any], source_id: int) -> dict[str, Retry]:
    with conn.cursor(row_factory=class_row(Retry)) as cur:
        return {r.uri: r for r in cur.execute(_RETRIES, {"source": source_id})}


def forget_unlisted_retries(conn: Connection[Any], run_id: int) -> None:
    conn.execute(
        "DELETE FROM sync_retries t USING sync_runs r WHERE r.id = %(run)s AND t.source_id = r.source_id"
        " AND NOT (t.uri = ANY(r.listed))",
        {"run": run_id},
    )


def set_version_by_uri(conn: Connection[Any], source_id: int, uri: str, version: str) -> None:
    conn.execute("UPDATE documents SET version = %s WHERE source_id = %s AND uri = %s", (version, source_id, uri))
