"""sourcier errors mapped once to JSON `{"error": {"code", "message"}}` with their HTTP status.

Paths under /v1 (the OpenAI-compatible endpoint) answer in OpenAI's shape instead,
`{"error": {"message", "type", "param", "code"}}`, also for what fails outside their routes (an unknown
path, a wrong method, a body too large, an unexpected exception): OpenAI clients only read that one.
Nothing answers plain text: an unexpected exception is logged and answered as a JSON 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


OPENAI_PREFIX = "/v1"


class RateLimited(errors.SourcierError):
    """Too many failed sign-ins for this name or address; answered 429 with `Retry-After`."""

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def openai_error_body(message: str, type_: str, code: str | None, param: str | None = None) -> dict[str, Any]:
    """OpenAI's error object; `type` is `invalid_request_error` for the caller's mistakes, else `server_error`."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def is_openai_path(path: str) -> bool:
    """Whether a request path belongs to the OpenAI-compatible endpoint (and gets OpenAI's error shape)."""
    return path == OPENAI_PREFIX or path.startswith(OPENAI_PREFIX + "/")


def _path(request: Request) -> str:
    root = request.scope.get("root_path", "")
    path = request.url.path
    return path[len(root) :] if root and path.startswith(root) else path


def sourcier_status(exc: errors.SourcierError) -> tuple[int, str, str]:
    """The HTTP status, code and message a sourcier error is answered with (500 for one not mapped)."""
    if isinstance(exc, RateLimited):
        return 429, "rate_limited", exc.message
    for cls, status, code in _STATUS:
        if isinstance(exc, cls):
            # 401 messages are the same whatever the reason: they must not tell which part was wrong.
            return status, code, "Authentication required." if status == 401 else exc.message
    return 500, "error", exc.message


def _headers(exc: errors.SourcierError, status: int) -> dict[str, str] | None:
    if status == 401:
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(exc, RateLimited):
        return {"Retry-After": str(exc.retry_after_s)}
    return None


def shaped(path: str, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """An error response in the shape the path's clients read."""
    if is_openai_path(path):
        type_ = "invalid_request_error" if status < 500 else "server_error"
        body: dict[str, Any] = openai_error_body(message, type_, code)
    else:
        body = error_body(code, message)
    return JSONResponse(body, status_code=status, headers=headers)


def _sourcier_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.SourcierError)
    status, code, message = sourcier_status(exc)
    return shaped(_path(request), status, code, message, _headers(exc, status))


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status_code, "http_error")
    return shaped(_path(request), exc.status_code, code, str(exc.detail), exc.headers)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    """The last resort (Starlette's ServerErrorMiddleware runs it, then re-raises for the server's log):
    JSON in the path's shape, never the exception's text."""
    return shaped(_path(request), 500, "internal_error", "Internal server error.")


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()))
    return JSONResponse(error_body("invalid_request", f"{where}: {first.get('msg', 'invalid')}"), status_code=422)


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.SourcierError, _sourcier_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
