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
from sourcier.api._deps import Conn, current_admin
from sourcier.api._schemas import Ok
from sourcier.errors import SourcierError
from sourcier.store import sources
from sourcier.sync import SyncEngine, parse_every

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/admin/sources", tags=["admin"], dependencies=[Depends(current_admin)])
SourcePath = Annotated[str, Path(min_length=1, max_length=200)]


class SourceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(default="filesystem", min_length=1, max_length=50)
    location: str = Field(min_length=1, max_length=4000)
    every: str | None = Field(default=None, max_length=20)
    read: list[str] = Field(default_factory=lambda: ["role:admin"], max_length=100)


class SourcePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    location: str | None = Field(default=None, min_length=1, max_length=4000)
    every: str | None = Field(default=None, max_length=20)
    read: list[str] | None = Field(default=None, max_length=100)


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


@router.post("", status_code=201, response_model=Ok)
def add_source(body: SourceIn, conn: Conn) -> Ok:
    every = parse_every(body.every) if body.every else None
    sources.add_source(conn, name=body.name, kind=body.kind, location=body.location, every_s=every, read=body.read)
    return Ok()


@router.patch("/{name}", response_model=Ok)
def update_source(name: SourcePath, body: SourcePatch, conn: Conn) -> Ok:
    changes: dict[str, Any] = {}
    if body.location is not None:
        changes["location"] = body.location
    if body.every is not None:
        changes["every_s"] = parse_every(body.every)
    if body.read is not None:
        changes["default_acl"] = body.read
    sources.get_source(conn, name)
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
