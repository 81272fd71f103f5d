"""Web sessions (hashed ids with an expiry) and sign-in attempts (rate limiting shared by every process)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg import Connection


def _hash(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode("utf-8")).digest()


_CREATE = """
INSERT INTO web_sessions (id_hash, user_id, expires_at)
SELECT %(hash)s, id, now() + %(ttl)s FROM users WHERE name = %(user)s AND NOT disabled
RETURNING id_hash
"""


def create_session(conn: Connection[Any], user: str, *, ttl: timedelta) -> str:
    """A new random session id for `user`; only its sha256 is stored, so a database leak signs nobody in."""
    session_id = secrets.token_urlsafe(32)
    row = conn.execute(_CREATE, {"hash": _hash(session_id), "ttl": ttl, "user": user}).fetchone()
    if row is None:
        raise LookupError(user)
    return session_id


_USER = """
SELECT u.name FROM web_sessions s JOIN users u ON u.id = s.user_id
WHERE s.id_hash = %(hash)s AND s.expires_at > now() AND NOT u.disabled
"""


def session_user(conn: Connection[Any], session_id: str) -> str | None:
    row = conn.execute(_USER, {"hash": _hash(session_id)}).fetchone()
    return None if row is None else str(row[0])


def delete_session(conn: Connection[Any], session_id: str) -> None:
    conn.execute("DELETE FROM web_sessions WHERE id_hash = %(hash)s", {"hash": _hash(session_id)})


_PURGE = """
WITH s AS (DELETE FROM web_sessions WHERE expires_at <= now() RETURNING 1),
     a AS (DELETE FROM sign_in_attempts WHERE at < now() - %(keep)s RETURNING 1)
SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM a)
"""


def purge_expired(conn: Connection[Any], *, keep_attempts: timedelta = timedelta(days=1)) -> tuple[int, int]:
    """Deletes expired sessions and sign-in attempts older than `keep_attempts` (far past the rate window).

    Called at each successful sign-in, so the tables stay small without a separate job; returns what went.
    """
    row = conn.execute(_PURGE, {"keep": keep_attempts}).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


_RECORD = """
INSERT INTO sign_in_attempts (username, client_ip, ok) VALUES (%(user)s, %(ip)s, %(ok)s) RETURNING id
"""


def record_attempt(conn: Connection[Any], username: str, client_ip: str, ok: bool) -> int:
    """Records one attempt; returns its id, so that an attempt written as failed before the password check
    can be marked a success after it (`mark_attempt_ok`)."""
    row = conn.execute(_RECORD, {"user": username, "ip": client_ip, "ok": ok}).fetchone()
    assert row is not None
    return int(row[0])


def mark_attempt_ok(conn: Connection[Any], attempt_id: int) -> None:
    conn.execute("UPDATE sign_in_attempts SET ok = true WHERE id = %s", (attempt_id,))


_ADDRESS_LOCK = 7_461_003  # advisory lock namespace (the migrations use 7_461_002)


def lock_address(conn: Connection[Any], client_ip: str) -> None:
    """Serialises the throttle check and the recording of an attempt for one client address, until the
    transaction ends: without it, parallel requests would all pass the check before any failure is written."""
    conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_ADDRESS_LOCK, client_ip))


@dataclass(frozen=True, slots=True)
class AttemptHistory:
    """What the sign-in throttle decides on, read with the database's clock (every process shares it)."""

    pair_failures: int  # failures for this user name from this address since their last success
    pair_last_failure: datetime | None
    address_budget_start: datetime | None  # the `budget`-th latest failure of this address in the window
    now: datetime


_HISTORY = """
WITH last_ok AS (
    SELECT max(at) AS at FROM sign_in_attempts WHERE username = %(user)s AND client_ip = %(ip)s AND ok
), pair AS (
    SELECT count(*) AS n, max(a.at) AS last FROM sign_in_attempts a, last_ok
    WHERE a.username = %(user)s AND a.client_ip = %(ip)s AND NOT a.ok
      AND a.at > coalesce(last_ok.at, '-infinity') AND a.at > now() - %(memory)s
)
SELECT pair.n, pair.last,
       (SELECT at FROM sign_in_attempts WHERE client_ip = %(ip)s AND NOT ok AND at > now() - %(window)s
        ORDER BY at DESC OFFSET %(budget)s - 1 LIMIT 1),
       now()
FROM pair
"""


def attempt_history(
    conn: Connection[Any], username: str, client_ip: str, *, memory: timedelta, budget: int, window: timedelta
) -> AttemptHistory:
    """Failures of this (name, address) pair since its last success (at most `memory` old), and when the
    address's `budget`-th latest failure within `window` happened (None while it has fewer)."""
    params = {"user": username, "ip": client_ip, "memory": memory, "budget": budget, "window": window}
    row = conn.execute(_HISTORY, params).fetchone()
    assert row is not None
    return AttemptHistory(pair_failures=int(row[0]), pair_last_failure=row[1], address_budget_start=row[2], now=row[3])


_TOKENS = """
SELECT t.id, t.name AS label, t.created_at, t.expires_at, t.revoked_at IS NOT NULL AS revoked, t.last_used_at
FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.name = %(user)s ORDER BY t.created_at, t.id
"""


def list_tokens(conn: Connection[Any], user: str) -> list[dict[str, Any]]:
    """The user's own API tokens (never their hashes)."""
    cur = conn.execute(_TOKENS, {"user": user})
    names = [d.name for d in cur.description or ()]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


_REVOKE = """
WITH RECURSIVE family AS (
    SELECT t.id FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = %(id)s AND u.name = %(user)s
    UNION
    SELECT c.id FROM api_tokens c JOIN family f ON c.parent_id = f.id
)
UPDATE api_tokens t SET revoked_at = coalesce(t.revoked_at, now()) FROM family WHERE t.id = family.id
RETURNING t.id = %(id)s
"""


def revoke_token(conn: Connection[Any], user: str, token_id: int) -> bool:
    """Revokes one of the user's own tokens and every token created with it, or with those, and so on;
    False when it is not theirs."""
    return any(row[0] for row in conn.execute(_REVOKE, {"id": token_id, "user": user}))


_END_SESSIONS = """
DELETE FROM web_sessions s USING users u
WHERE u.id = s.user_id AND u.name = %(user)s AND s.id_hash IS DISTINCT FROM %(keep)s
"""


def end_sessions(conn: Connection[Any], user: str, *, keep: str | None = None) -> int:
    """Ends every web session of `user` but `keep` (the caller's own, when they change their own password);
    returns how many ended."""
    keep_hash = _hash(keep) if keep else None
    return conn.execute(_END_SESSIONS, {"user": user, "keep": keep_hash}).rowcount
