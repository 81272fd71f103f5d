"""Administration (admins only, 403 for everyone else): overview, users and groups, sources and their syncs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from sourcier.api._deps import SESSION_COOKIE, Conn, CurrentAdmin, bearer_token, current_admin
from sourcier.api._schemas import (
    AdminUserIn,
    AdminUserOut,
    AdminUserPatch,
    DayCount,
    GroupIn,
    GroupOut,
    Ok,
    OverviewOut,
)
from sourcier.errors import NotFound
from sourcier.store import documents as doc_store
from sourcier.store import feedback, traces, users
from sourcier.types import Identity

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], dependencies=[Depends(current_admin)])

NamePath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._@-]{0,63}$")]


@router.get("/overview", response_model=OverviewOut)
def overview(conn: Conn) -> OverviewOut:
    counts = doc_store.counts(conn)
    up, down = feedback.totals(conn)
    days = [DayCount(day=d, count=n) for d, n in traces.questions_per_day(conn)]
    return OverviewOut(
        documents=counts.documents,
        chunks=counts.chunks,
        failed=counts.failed,
        questions_per_day=days,
        thumbs_up=up,
        thumbs_down=down,
    )


def _user_out(u: users.UserRow) -> AdminUserOut:
    return AdminUserOut(
        name=u.name, display_name=u.display_name, is_admin=u.is_admin, disabled=u.disabled, groups=list(u.groups)
    )


@router.get("/users", response_model=list[AdminUserOut])
def list_users(conn: Conn) -> list[AdminUserOut]:
    return [_user_out(u) for u in users.list_users(conn)]


@router.post("/users", response_model=AdminUserOut, status_code=201)
def create_user(body: AdminUserIn, conn: Conn) -> AdminUserOut:
    users.create_user(conn, body.name, password=body.password, is_admin=body.is_admin, display_name=body.display_name)
    return next(_user_out(u) for u in users.list_users(conn) if u.name == body.name)


def _own_session(request: Request, who: Identity, name: str) -> str | None:
    """The session cookie an admin is changing their own password with: the one session that survives it."""
    if who.name != name or bearer_token(request) is not None:
        return None
    return request.cookies.get(SESSION_COOKIE)


@router.patch("/users/{name}", response_model=AdminUserOut)
def update_user(name: NamePath, body: AdminUserPatch, request: Request, who: CurrentAdmin, conn: Conn) -> AdminUserOut:
    """A new password signs the user out everywhere (tokens revoked, sessions ended) in the same transaction;
    an admin changing their own keeps only the session they are using."""
    if not any(u.name == name for u in users.list_users(conn)):
        raise NotFound(f"No user named {name!r}.")
    with conn.transaction():
        if body.disabled:
            users.disable_user(conn, name)
        elif body.disabled is not None:
            users.set_disabled(conn, name, False)
        if body.is_admin is not None:
            users.set_admin(conn, name, body.is_admin)
        if body.password is not None:
            users.set_password(conn, name, body.password, keep_session=_own_session(request, who, name))
    return next(_user_out(u) for u in users.list_users(conn) if u.name == name)


@router.get("/groups", response_model=list[GroupOut])
def list_groups(conn: Conn) -> list[GroupOut]:
    return [GroupOut(name=name, members=members) for name, members in users.list_groups(conn)]


@router.post("/groups", response_model=GroupOut, status_code=201)
def create_group(body: GroupIn, conn: Conn) -> GroupOut:
    users.create_group(conn, body.name)
    return GroupOut(name=body.name, members=[])


@router.post("/groups/{name}/members/{user}", response_model=Ok)
def add_member(name: NamePath, user: NamePath, conn: Conn) -> Ok:
    users.add_member(conn, name, user)
    return Ok()


@router.delete("/groups/{name}/members/{user}", response_model=Ok)
def remove_member(name: NamePath, user: NamePath, conn: Conn) -> Ok:
    users.remove_member(conn, name, user)
    return Ok()
