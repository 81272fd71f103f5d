"""Sources and their syncs (admins only). A sync started here runs in a background thread with its own
connection; its progress is read back from `sync_runs`, so any server process can report it."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from sourcier import store
from sourcier.api._deps import Conn, current_admin, get_settings
from sourcier.api._schemas import Ok, Text
from sourcier.config import Settings
from sourcier.errors import ConfigError, SourcierError
from sourcier.store import sources
from sourcier.sync import SyncEngine, parse_every
from sourcier.sync._validate import CheckedSource, SourcePolicy, check_location, check_principals, check_source

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/admin/sources", tags=["admin"], dependencies=[Depends(current_admin)])
SourcePath = Annotated[Text, Path(min_length=1, max_length=200)]  # Text: a NUL is a 422, not a database error


class SourceIn(BaseModel):
    """Every string is `Text`: a NUL or a lone surrogate is refused here (422), before the checks or the
    database see it (PostgreSQL cannot store a NUL: it was a 500)."""

    model_config = ConfigDict(extra="forbid")
    name: Text = Field(min_length=1, max_length=200)
    kind: Text = Field(default="filesystem", min_length=1, max_length=50)
    location: Text = Field(min_length=1, max_length=4000)
    every: Text | None = Field(default=None, max_length=20)
    read: list[Text] = Field(default_factory=lambda: ["role:admin"], max_length=100)


class SourcePatch(BaseModel):
    """The same `Text` fields as `SourceIn`, each optional."""

    model_config = ConfigDict(extra="forbid")
    location: Text | None = Field(default=None, min_length=1, max_length=4000)
    every: Text | None = Field(default=None, max_length=20)
    read: list[Text] | None = Field(default=None, max_length=100)


class RunOut(BaseModel):
    id: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    progress_done: int
    progress_total: int
    counts: dict[str, int]
    error: str | None
    errors: list[dict[str, Any]]


@router.get("")
def list_sources(conn: Conn) -> list[dict[str, Any]]:
    return [{f: getattr(s, f) for f in s.__dataclass_fields__} for s in sources.list_sources(conn)]


def _policy(settings: Annotated[Settings, Depends(get_settings)]) -> SourcePolicy:
    """A remote admin's reach: only the folders under the server's source_roots, public sites unless allowed."""
    return SourcePolicy.remote(settings)


Policy = Annotated[SourcePolicy, Depends(_policy)]


def _refusal(exc: ConfigError) -> ConfigError:
    """The 400 carries the hint too: the admin on the web page has only this message to learn what to write."""
    return ConfigError(str(exc))


@router.post("", status_code=201, response_model=Ok)
def add_source(body: SourceIn, policy: Policy, conn: Conn) -> Ok:
    every = parse_every(body.every) if body.every else None
    try:
        source: CheckedSource = check_source(
            name=body.name, kind=body.kind, location=body.location, read=body.read, policy=policy
        )
    except ConfigError as exc:
        raise _refusal(exc) from exc
    sources.add_source(
        conn, name=source.name, kind=source.kind, location=source.location, every_s=every, read=source.read
    )
    return Ok()


@router.patch("/{name}", response_model=Ok)
def update_source(name: SourcePath, body: SourcePatch, policy: Policy, conn: Conn) -> Ok:
    """The merged source is checked: a new location by the source's kind, the access list whether new or kept.

    A location left as it is is not checked again: it was checked when stored (perhaps by the local CLI,
    which may reach beyond the API's roots), and an admin must stay able to tighten who reads a source
    whose folder is outside the roots or unmounted for now.
    """
    existing = sources.get_source(conn, name)
    changes: dict[str, Any] = {}
    try:
        if body.location is not None:
            changes["location"] = check_location(existing.kind, body.location, policy)
        changes["default_acl"] = check_principals(body.read if body.read is not None else existing.default_acl)
    except ConfigError as exc:
        raise _refusal(exc) from exc
    if body.every is not None:
        changes["every_s"] = parse_every(body.every)
    sources.update_source(conn, name, **changes)
    return Ok()


@router.delete("/{name}", response_model=Ok)
def remove_source(name: SourcePath, conn: Conn) -> Ok:
    sources.remove_source(conn, name)
    return Ok()


def _sync(request_state: Any, name: str) -> None:
    try:
        url = request_state.conninfo
        with store.connect(url) as conn:
            SyncEngine(settings=request_state.settings, embedder=request_state.embedder).run(conn, name)
    except SourcierError as exc:
        log.warning("sync of %s failed: %s", name, exc)
    except Exception:
        log.exception("sync of %s failed", name)


@router.post("/{name}/sync", status_code=202, response_model=Ok)
def sync_now(name: SourcePath, request: Request, conn: Conn) -> Ok:
    sources.get_source(conn, name)  # 404 before starting anything
    threading.Thread(target=_sync, args=(request.app.state, name), name=f"sync-{name}", daemon=True).start()
    return Ok()


@router.get("/{name}/runs", response_model=list[RunOut])
def runs(name: SourcePath, conn: Conn) -> list[RunOut]:
    sources.get_source(conn, name)
    out = []
    for r in sources.recent_runs(conn, name):
        errors = [{"uri": e.uri, "reason": e.reason, "at": e.at.isoformat()} for e in sources.run_errors(conn, r.id)]
        out.append(
            RunOut(
                id=r.id,
                status=r.status,
                started_at=r.started_at,
                finished_at=r.finished_at,
                progress_done=r.progress_done,
                progress_total=r.progress_total,
                counts=r.counts,
                error=r.error,
                errors=errors,
            )
        )
    return out
