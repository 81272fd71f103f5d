"""Sign-in (cookie session + CSRF cookie), sign-out, who am I, and the caller's own API tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta

from fastapi import APIRouter, Request, Response

from sourcier.api._deps import CSRF_COOKIE, SESSION_COOKIE, Conn, CurrentUser, IdPath, check_csrf
from sourcier.api._errors import RateLimited
from sourcier.api._schemas import LoginIn, LoginOut, Ok, TokenCreated, TokenIn, TokenOut, UserOut
from sourcier.errors import NotAuthenticated, NotFound
from sourcier.store import sessions, users
from sourcier.types import Identity

router = APIRouter(prefix="/api/v1", tags=["auth"])

SESSION_TTL = timedelta(hours=12)
RATE_WINDOW = timedelta(minutes=5)
MAX_FAILURES = 5


def user_out(who: Identity) -> UserOut:
    groups = [p.removeprefix("group:") for p in who.principals if p.startswith("group:")]
    return UserOut(name=who.name, is_admin=who.is_admin, groups=groups)


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/auth/login", response_model=LoginOut)
def login(body: LoginIn, request: Request, response: Response, conn: Conn) -> LoginOut:
    """One message for every failure (unknown user, wrong password, disabled); 429 after repeated failures."""
    ip = _client_ip(request)
    by_user, by_ip = sessions.recent_failures(conn, body.username, ip, window=RATE_WINDOW)
    if by_user >= MAX_FAILURES or by_ip >= 4 * MAX_FAILURES:
        raise RateLimited("Too many failed sign-ins; try again in a few minutes.")
    try:
        who = users.authenticate_password(conn, body.username, body.password)
    except NotAuthenticated:
        sessions.record_attempt(conn, body.username, ip, False)
        raise NotAuthenticated("Wrong user name or password.") from None
    sessions.record_attempt(conn, body.username, ip, True)
    sessions.purge_expired(conn)
    session_id = sessions.create_session(conn, who.name, ttl=SESSION_TTL)
    csrf = secrets.token_urlsafe(32)
    secure = request.url.scheme == "https"
    ttl = int(SESSION_TTL.total_seconds())
    response.set_cookie(SESSION_COOKIE, session_id, max_age=ttl, httponly=True, samesite="lax", secure=secure)
    response.set_cookie(CSRF_COOKIE, csrf, max_age=ttl, httponly=False, samesite="lax", secure=secure)
    return LoginOut(user=user_out(who), csrf_token=csrf)


@router.post("/auth/logout", response_model=Ok)
def logout(request: Request, response: Response, who: CurrentUser, conn: Conn) -> Ok:
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id and not request.headers.get("authorization"):
        check_csrf(request)
        sessions.delete_session(conn, session_id)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return Ok()


@router.get("/me", response_model=UserOut)
def me(who: CurrentUser) -> UserOut:
    return user_out(who)


@router.get("/tokens", response_model=list[TokenOut], tags=["tokens"])
def list_tokens(who: CurrentUser, conn: Conn) -> list[TokenOut]:
    return [TokenOut(**t) for t in sessions.list_tokens(conn, who.name)]


@router.post("/tokens", response_model=TokenCreated, status_code=201, tags=["tokens"])
def create_token(body: TokenIn, who: CurrentUser, conn: Conn) -> TokenCreated:
    """The token is in this response only; it is stored hashed."""
    with conn.transaction():
        token = users.create_token(conn, who.name, days=body.days, label=body.label)
        token_id, expires_at = sessions.latest_token(conn, who.name)
    return TokenCreated(id=token_id, token=token, expires_at=expires_at)


@router.delete("/tokens/{token_id}", response_model=Ok, tags=["tokens"])
def delete_token(token_id: IdPath, who: CurrentUser, conn: Conn) -> Ok:
    if not sessions.revoke_token(conn, who.name, token_id):
        raise NotFound("No such token.")
    return Ok()
