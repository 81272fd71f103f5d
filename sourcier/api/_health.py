"""Liveness (the process answers) and readiness (the database answers and every migration is applied)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sourcier.store import applied_migrations, migration_files

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    try:
        with request.app.state.pool.connection(timeout=2.0) as conn:
            done = applied_migrations(conn)
    except Exception:  # any failure to reach the database means not ready
        return JSONResponse({"status": "unavailable", "reason": "database unreachable"}, status_code=503)
    missing = [v for v, _ in migration_files() if v not in done]
    if missing:
        return JSONResponse({"status": "unavailable", "reason": "migrations pending"}, status_code=503)
    return JSONResponse({"status": "ok"})
