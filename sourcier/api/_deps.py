"""Request dependencies: settings, a pooled connection, and the caller's identity (never from the body)."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from psycopg import Connection

from sourcier.config import Settings
from sourcier.errors import AccessDenied, NotAuthenticated
from sourcier.store import sessions, users
from sourcier.types import Identity

SESSION_COOKIE = "sourcier_session"
CSRF_COOKIE = "sourcier_csrf"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_conn(request: Request) -> Iterator[Connection[Any]]:
    """One pooled autocommit connection for the request, given back after the response."""
    with request.app.state.pool.connection() as conn:
        yield conn


Conn = Annotated[Connection[Any], Depends(get_conn)]


def bearer_token(request: Request) -> str | None:
    """The request's bearer token; None without an Authorization header, 401 for any other scheme. Also
    read by routes that must know which token is calling (a token it mints may not outlive it)."""
    auth = request.headers.get("authorization", "")
    if not auth:
        return None
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Authentication required.")
    return token.strip()


def current_user(request: Request, conn: Conn) -> Identity:
    """A bearer token (programs) or the session cookie (web, with the CSRF double submit on writes); else 401."""
    token = bearer_token(request)
    if token is not None:
        return users.identity_for_token(conn, token)
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        raise NotAuthenticated("Authentication required.")
    name = sessions.session_user(conn, session_id)
    if name is None:
        raise NotAuthenticated("Authentication required.")
    if request.method not in _SAFE_METHODS:
        check_csrf(request)
    return users.identity(conn, name)


def check_csrf(request: Request) -> None:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    header = request.headers.get(CSRF_HEADER, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), header.encode()):
        raise AccessDenied("Missing or wrong CSRF token.")


CurrentUser = Annotated[Identity, Depends(current_user)]


def current_admin(who: CurrentUser) -> Identity:
    if not who.is_admin:
        raise AccessDenied("Administrators only.")
    return who


CurrentAdmin = Annotated[Identity, Depends(current_admin)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

IdPath = Annotated[int, Path(ge=1, le=2**62)]  # ids are bigint: larger values are a 422, not a database error
