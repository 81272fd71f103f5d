"""Sign-in (cookie session + CSRF cookie), sign-out, who am I, and the caller's own API tokens."""

from __future__ import annotations

import math
import secrets
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from psycopg import Connection

from sourcier.api._client import ClientAddress
from sourcier.api._deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    Conn,
    CurrentUser,
    IdPath,
    SettingsDep,
    bearer_token,
    check_csrf,
)
from sourcier.api._errors import RateLimited
from sourcier.api._schemas import LoginIn, LoginOut, Ok, TokenCreated, TokenIn, TokenOut, UserOut
from sourcier.errors import NotAuthenticated, NotFound
from sourcier.store import sessions, users
from sourcier.types import Identity

router = APIRouter(prefix="/api/v1", tags=["auth"])

SESSION_TTL = timedelta(hours=12)
FREE_FAILURES = 5  # failures of one (name, address) pair before it has to wait
FIRST_DELAY = timedelta(minutes=1)  # the wait after FREE_FAILURES, doubled by each further failure
MAX_DELAY = timedelta(minutes=15)
PAIR_MEMORY = timedelta(days=1)  # failures older than this are forgotten (and purged)
ADDRESS_BUDGET = 30  # failures from one address, whatever the names, within ADDRESS_WINDOW
ADDRESS_WINDOW = timedelta(minutes=15)


def user_out(who: Identity) -> UserOut:
    groups = [p.removeprefix("group:") for p in who.principals if p.startswith("group:")]
    return UserOut(name=who.name, is_admin=who.is_admin, groups=groups)


def _pair_delay(failures: int) -> timedelta:
    """No wait for the first FREE_FAILURES failures, then FIRST_DELAY doubling per failure, up to MAX_DELAY."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(MAX_DELAY, FIRST_DELAY * (1 << min(failures - FREE_FAILURES, 16)))


def throttle_wait(history: sessions.AttemptHistory) -> timedelta:
    """How long this (name, address) must still wait before a password is checked; zero when it may go.

    Counted per pair and per address, never per name alone: a stranger failing with alice's name slows
    only their own address, so alice signing in from hers is never locked out.
    """
    waits = [timedelta(0)]
    if history.pair_last_failure is not None:
        waits.append(history.pair_last_failure + _pair_delay(history.pair_failures) - history.now)
    if history.address_budget_start is not None:
        waits.append(history.address_budget_start + ADDRESS_WINDOW - history.now)
    return max(waits)


def _too_many(wait: timedelta) -> RateLimited:
    seconds = max(1, math.ceil(wait.total_seconds()))
    message = f"Too many failed sign-ins from this address; try again in {seconds} seconds."
    return RateLimited(message, retry_after_s=seconds)


def _admit(conn: Connection[Any], username: str, ip: str) -> int | timedelta:
    """Under a per-address lock, either the time still to wait or the id of an attempt recorded as failed
    until the password proves right: parallel guesses cannot all slip past the check before one is counted."""
    with conn.transaction():
        sessions.lock_address(conn, ip)
        history = sessions.attempt_history(
            conn, username, ip, memory=PAIR_MEMORY, budget=ADDRESS_BUDGET, window=ADDRESS_WINDOW
        )
        wait = throttle_wait(history)
        if wait > timedelta(0):
            return wait
        return sessions.record_attempt(conn, username, ip, False)


@router.post("/auth/login", response_model=LoginOut)
def login(
    body: LoginIn, request: Request, response: Response, conn: Conn, ip: ClientAddress
) -> LoginOut:
    """One message for every failure (unknown user, wrong password, disabled); 429 with Retry-After while this
    address must wait, for this name or for all of them."""
    admitted = _admit(conn, body.username, ip)
    if isinstance(admitted, timedelta):
        raise _too_many(admitted)
    try:
        who = users.authenticate_password(conn, body.username, body.password)
    except NotAuthenticated:
        raise NotAuthenticated("Wrong user name or password.") from None
    sessions.mark_attempt_ok(conn, admitted)
    sessions.purge_expired(conn, keep_attempts=PAIR_MEMORY)
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
def create_token(body: TokenIn, request: Request, who: CurrentUser, conn: Conn, settings: SettingsDep) -> TokenCreated:
    """The token is in this response only; it is stored hashed. At most token_max_days long, and one made
    with a bearer token expires no later than that token (and is revoked with it)."""
    if body.days > settings.token_max_days:
        problem = {
            "type": "less_than_equal",
            "loc": ("body", "days"),
            "msg": f"Input should be less than or equal to {settings.token_max_days} (this server's token_max_days)",
            "input": body.days,
        }
        raise RequestValidationError([problem])
    issued = users.issue_token(conn, who.name, days=body.days, label=body.label, parent=bearer_token(request))
    return TokenCreated(id=issued.id, token=issued.token, expires_at=issued.expires_at)


@router.delete("/tokens/{token_id}", response_model=Ok, tags=["tokens"])
def delete_token(token_id: IdPath, who: CurrentUser, conn: Conn) -> Ok:
    if not sessions.revoke_token(conn, who.name, token_id):
        raise NotFound("No such token.")
    return Ok()
