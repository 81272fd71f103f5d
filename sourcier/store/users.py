"""Users, groups and API tokens: who someone is and which principals they carry."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from psycopg import Connection
from psycopg.rows import class_row

from sourcier.errors import ConfigError, NotAuthenticated, NotFound
from sourcier.store import sessions
from sourcier.types import ADMIN_ROLE, EVERYONE, Identity

_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class UserRow:
    id: int
    name: str
    display_name: str | None
    is_admin: bool
    disabled: bool
    groups: list[str]


_CREATE_USER = """
INSERT INTO users (name, display_name, password_hash, is_admin)
VALUES (%(name)s, %(display)s, %(hash)s, %(admin)s)
RETURNING id
"""


def create_user(
    conn: Connection[Any], name: str, *, password: str | None = None, is_admin: bool = False, display_name: str = ""
) -> int:
    hashed = _hasher.hash(password) if password else None
    try:
        with conn.transaction():
            row = conn.execute(
                _CREATE_USER, {"name": name, "display": display_name or None, "hash": hashed, "admin": is_admin}
            ).fetchone()
    except psycopg.errors.UniqueViolation as exc:
        raise ConfigError(f"A user named {name!r} already exists.") from exc
    except psycopg.errors.CheckViolation as exc:
        raise ConfigError(
            f"{name!r} is not a valid user name.", hint="lower-case letters, digits and . _ @ - (64 at most)"
        ) from exc
    assert row is not None
    return int(row[0])


_LIST_USERS = """
SELECT u.id, u.name, u.display_name, u.is_admin, u.disabled,
       coalesce(array_agg(g.name ORDER BY g.name) FILTER (WHERE g.name IS NOT NULL), '{}') AS groups
FROM users u LEFT JOIN group_members m ON m.user_id = u.id LEFT JOIN groups g ON g.id = m.group_id
GROUP BY u.id ORDER BY u.name
"""


def list_users(conn: Connection[Any]) -> list[UserRow]:
    with conn.cursor(row_factory=class_row(UserRow)) as cur:
        cur.execute(_LIST_USERS)
        return cur.fetchall()


def set_disabled(conn: Connection[Any], name: str, disabled: bool = True) -> None:
    if conn.execute("UPDATE users SET disabled = %s WHERE name = %s", (disabled, name)).rowcount == 0:
        raise NotFound(f"No user named {name!r}.")


def create_group(conn: Connection[Any], name: str, *, origin: str = "local") -> int:
    try:
        row = conn.execute("INSERT INTO groups (name, origin) VALUES (%s, %s) RETURNING id", (name, origin)).fetchone()
    except psycopg.errors.UniqueViolation as exc:
        raise ConfigError(f"A group named {name!r} already exists.") from exc
    except psycopg.errors.CheckViolation as exc:
        raise ConfigError(f"{name!r} is not a valid group name.") from exc
    assert row is not None
    return int(row[0])


_ADD_MEMBER = """
INSERT INTO group_members (group_id, user_id)
SELECT g.id, u.id FROM groups g, users u WHERE g.name = %(group)s AND u.name = %(user)s
ON CONFLICT DO NOTHING
"""
_REMOVE_MEMBER = """
DELETE FROM group_members m USING groups g, users u
WHERE m.group_id = g.id AND m.user_id = u.id AND g.name = %(group)s AND u.name = %(user)s
"""


def _check_exists(conn: Connection[Any], group: str, user: str) -> None:
    if conn.execute("SELECT 1 FROM groups WHERE name = %s", (group,)).fetchone() is None:
        raise NotFound(f"No group named {group!r}.")
    if conn.execute("SELECT 1 FROM users WHERE name = %s", (user,)).fetchone() is None:
        raise NotFound(f"No user named {user!r}.")


def add_member(conn: Connection[Any], group: str, user: str) -> None:
    _check_exists(conn, group, user)
    conn.execute(_ADD_MEMBER, {"group": group, "user": user})


def remove_member(conn: Connection[Any], group: str, user: str) -> None:
    _check_exists(conn, group, user)
    conn.execute(_REMOVE_MEMBER, {"group": group, "user": user})


_IDENTITY = """
SELECT u.name, u.is_admin,
       coalesce(array_agg(g.name ORDER BY g.name) FILTER (WHERE g.name IS NOT NULL), '{}')
FROM users u LEFT JOIN group_members m ON m.user_id = u.id LEFT JOIN groups g ON g.id = m.group_id
WHERE u.name = %(name)s AND NOT u.disabled
GROUP BY u.id
"""


def principals_for(name: str, is_admin: bool, groups: list[str]) -> tuple[str, ...]:
    found = [EVERYONE, f"user:{name}", *(f"group:{g}" for g in groups)]
    if is_admin:
        found.append(ADMIN_ROLE)
    return tuple(found)


def identity(conn: Connection[Any], name: str) -> Identity:
    """The identity of an enabled user; a disabled or unknown user is not authenticated."""
    row = conn.execute(_IDENTITY, {"name": name}).fetchone()
    if row is None:
        raise NotAuthenticated(f"No enabled user named {name!r}.")
    return Identity(name=row[0], is_admin=row[1], principals=principals_for(row[0], row[1], list(row[2])))


_PASSWORD = "SELECT password_hash FROM users WHERE name = %s AND NOT disabled"


def authenticate_password(conn: Connection[Any], name: str, password: str) -> Identity:
    row = conn.execute(_PASSWORD, (name,)).fetchone()
    stored = row[0] if row else None
    try:
        # Verify against a dummy hash when the user is unknown, so timing does not tell who exists.
        _hasher.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        stored = None
    if not stored:
        raise NotAuthenticated("Wrong user name or password.")
    return identity(conn, name)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("not a real password")


_CREATE_TOKEN = """
INSERT INTO api_tokens (user_id, name, token_hash, expires_at, parent_id)
SELECT u.id, %(label)s, %(hash)s, least(now() + %(ttl)s, p.expires_at), p.id
FROM users u LEFT JOIN api_tokens p
    ON p.token_hash = %(parent)s AND p.user_id = u.id AND p.revoked_at IS NULL AND p.expires_at > now()
WHERE u.name = %(user)s AND NOT u.disabled
RETURNING id, expires_at, parent_id
"""
_TOKEN_USER = """
UPDATE api_tokens t SET last_used_at = now()
FROM users u
WHERE t.token_hash = %(hash)s AND u.id = t.user_id AND t.revoked_at IS NULL AND t.expires_at > now()
  AND NOT u.disabled
RETURNING u.name
"""


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


@dataclass(frozen=True, slots=True)
class IssuedToken:
    id: int
    token: str
    expires_at: datetime


def issue_token(
    conn: Connection[Any], user: str, *, days: int = 90, label: str = "", parent: str | None = None
) -> IssuedToken:
    """A new API token for `user`, with its id and expiry as written; only its hash is stored, so this is
    the one time it can be shown. Made with the token `parent`, it expires no later than that one and is
    revoked with it: a token cannot stretch its own life by minting a longer one."""
    token = "sct_" + secrets.token_urlsafe(32)
    params = {
        "label": label,
        "hash": _token_hash(token),
        "ttl": timedelta(days=days),
        "user": user,
        "parent": _token_hash(parent) if parent else None,
    }
    row = conn.execute(_CREATE_TOKEN, params).fetchone()
    if row is None:
        raise NotFound(f"No enabled user named {user!r}.")
    if parent and row[2] is None:
        raise NotAuthenticated("This token is unknown, expired or revoked.")
    return IssuedToken(id=int(row[0]), token=token, expires_at=row[1])


def create_token(conn: Connection[Any], user: str, *, days: int = 90, label: str = "") -> str:
    """`issue_token` for callers that only need the token itself (the CLI, tests)."""
    return issue_token(conn, user, days=days, label=label).token


def identity_for_token(conn: Connection[Any], token: str) -> Identity:
    row = conn.execute(_TOKEN_USER, {"hash": _token_hash(token)}).fetchone()
    if row is None:
        raise NotAuthenticated("This token is unknown, expired or revoked.")
    return identity(conn, row[0])


def revoke_tokens(conn: Connection[Any], user: str) -> int:
    cur = conn.execute(
        "UPDATE api_tokens t SET revoked_at = now() FROM users u"
        " WHERE u.id = t.user_id AND u.name = %s AND t.revoked_at IS NULL",
        (user,),
    )
    return cur.rowcount


def disable_user(conn: Connection[Any], name: str) -> int:
    """Disable a user in one transaction: no sign-in, tokens revoked, web sessions ended; returns tokens revoked."""
    with conn.transaction():
        set_disabled(conn, name, True)
        revoked = revoke_tokens(conn, name)
        sessions.end_sessions(conn, name)
    return revoked


def set_admin(conn: Connection[Any], name: str, is_admin: bool) -> None:
    if conn.execute("UPDATE users SET is_admin = %s WHERE name = %s", (is_admin, name)).rowcount == 0:
        raise NotFound(f"No user named {name!r}.")


@dataclass(frozen=True, slots=True)
class SignedOut:
    """What a password change ended."""

    tokens: int
    sessions: int


def set_password(conn: Connection[Any], name: str, password: str, *, keep_session: str | None = None) -> SignedOut:
    """Stores the argon2 hash of the new password (never the password) and, in the same transaction,
    revokes every API token and ends every web session of the user but `keep_session`: whoever held the
    old password, or anything minted with it, is out the moment it changes."""
    hashed = _hasher.hash(password)
    with conn.transaction():
        cur = conn.execute("UPDATE users SET password_hash = %s WHERE name = %s", (hashed, name))
        if cur.rowcount == 0:
            raise NotFound(f"No user named {name!r}.")
        tokens = revoke_tokens(conn, name)
        return SignedOut(tokens=tokens, sessions=sessions.end_sessions(conn, name, keep=keep_session))


_GROUPS = """
SELECT g.name, coalesce(array_agg(u.name ORDER BY u.name) FILTER (WHERE u.name IS NOT NULL), '{}')
FROM groups g LEFT JOIN group_members m ON m.group_id = g.id LEFT JOIN users u ON u.id = m.user_id
GROUP BY g.id ORDER BY g.name
"""


def list_groups(conn: Connection[Any]) -> list[tuple[str, list[str]]]:
    """Every group with its members' names, by group name."""
    return [(str(r[0]), list(r[1])) for r in conn.execute(_GROUPS)]


def token_expiry(conn: Connection[Any], token: str) -> datetime | None:
    row = conn.execute("SELECT expires_at FROM api_tokens WHERE token_hash = %s", (_token_hash(token),)).fetchone()
    return row[0] if row else None
