"""Web sessions (hashed ids with an expiry) and sign-in attempts (rate limiting shared by every process)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
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


_RECORD = "INSERT INTO sign_in_attempts (username, client_ip, ok) VALUES (%(user)s, %(ip)s, %(ok)s)"


def record_attempt(conn: Connection[Any], username: str, client_ip: str, ok: bool) -> None:
    conn.execute(_RECORD, {"user": username, "ip": client_ip, "ok": ok})


_FAILURES = """
SELECT (SELECT count(*) FROM sign_in_attempts WHERE username = %(user)s AND NOT ok AND at > now() - %(window)s),
       (SELECT count(*) FROM sign_in_attempts WHERE client_ip = %(ip)s AND NOT ok AND at > now() - %(window)s)
"""


def recent_failures(conn: Connection[Any], username: str, client_ip: str, *, window: timedelta) -> tuple[int, int]:
    """Failed sign-ins in the window, for this user name and for this client address."""
    row = conn.execute(_FAILURES, {"user": username, "ip": client_ip, "window": window}).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


_TOKENS = """
SELECT t.id, t.name AS label, t.created_at, t.expires_at, t.revoked_at IS NOT NULL AS revoked, t.last_used_at
FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.name = %(user)s ORDER BY t.created_at, t.id
"""


def list_tokens(conn: Connection[Any], user: str) -> list[dict[str, Any]]:
    """The user's own API tokens (never their hashes)."""
    cur = conn.execute(_TOKENS, {"user": user})
    names = [d.name for d in cur.description or ()]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


_LATEST_TOKEN = """
SELECT t.id, t.expires_at FROM api_tokens t JOIN users u ON u.id = t.user_id
WHERE u.name = %(user)s ORDER BY t.created_at DESC, t.id DESC LIMIT 1
"""


def latest_token(conn: Connection[Any], user: str) -> tuple[int, Any]:
    row = conn.execute(_LATEST_TOKEN, {"user": user}).fetchone()
    assert row is not None
    return int(row[0]), row[1]


_REVOKE = """
UPDATE api_tokens t SET revoked_at = coalesce(t.revoked_at, now()) FROM users u
WHERE u.id = t.user_id AND t.id = %(id)s AND u.name = %(user)s
"""


def revoke_token(conn: Connection[Any], user: str, token_id: int) -> bool:
    """Revokes one of the user's own tokens; False when it is not theirs."""
    return conn.execute(_REVOKE, {"id": token_id, "user": user}).rowcount > 0
