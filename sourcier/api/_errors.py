"""sourcier errors mapped once to JSON `{"error": {"code", "message"}}` with their HTTP status."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sourcier import errors

_STATUS: tuple[tuple[type[errors.SourcierError], int, str], ...] = (
    (errors.NotAuthenticated, 401, "not_authenticated"),
    (errors.AccessDenied, 403, "forbidden"),
    (errors.NotFound, 404, "not_found"),
    (errors.SqlRefused, 422, "sql_refused"),
    (errors.GuardRefusal, 422, "refused"),
    (errors.SyncAlreadyRunning, 409, "sync_running"),
    (errors.EmbeddingModelMismatch, 503, "index_model_mismatch"),  # the server's setup, not the request
    (errors.ConfigError, 400, "invalid"),
    (errors.BackendUnavailable, 503, "unavailable"),
)


class RateLimited(errors.SourcierError):
    """Too many failed sign-ins for this name or address; try again later."""


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def _sourcier_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.SourcierError)
    if isinstance(exc, RateLimited):
        return JSONResponse(error_body("rate_limited", exc.message), status_code=429, headers={"Retry-After": "300"})
    for cls, status, code in _STATUS:
        if isinstance(exc, cls):
            # 401 messages are the same whatever the reason: they must not tell which part was wrong.
            message = "Authentication required." if status == 401 else exc.message
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return JSONResponse(error_body(code, message), status_code=status, headers=headers)
    return JSONResponse(error_body("error", exc.message), status_code=500)


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers)


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()))
    return JSONResponse(error_body("invalid_request", f"{where}: {first.get('msg', 'invalid')}"), status_code=422)


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.SourcierError, _sourcier_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
