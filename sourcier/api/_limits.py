"""A request body limit for every route, in plain ASGI, answered in the path's error shape.

Every byte a client sends is work for the server (parsing, validation, the embedder); without a bound one
request can hold a worker for minutes. A declared Content-Length over the limit is refused before the app
runs; a body without one (chunked) is counted as it streams in, and refused once it grows past the limit.

Plain ASGI rather than Starlette's `BaseHTTPMiddleware` (which buffers and cannot see `receive` as it
streams) or FastAPI's `max_body_size` (whose 413 is plain text, not one of our two error shapes).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sourcier.api._errors import shaped


class _BodyTooLarge(Exception):
    """Raised into the app by `receive` once the body passes the limit: it stops reading there."""


def _declared_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:  # the server refuses these itself; counting still applies
        return None


def _route_path(scope: Scope) -> str:
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


class BodyLimit:
    """Answers 413 to a request whose body, declared or streamed, is larger than `max_bytes`.

    When the streamed count passes the limit the app is told through an exception from `receive`;
    whatever it answers then (FastAPI turns the exception into a 400) is dropped and the 413 sent
    instead, as long as nothing of a response has gone out yet.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"The request body is larger than {self.max_bytes} bytes."
        response = shaped(_route_path(scope), 413, "too_large", message, {"Connection": "close"})
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)
            return

        received = 0
        exceeded = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise _BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the app's answer to the interrupted body: the 413 replaces it
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not exceeded or started:
                raise
        if exceeded and not started:
            await self._refuse(scope, receive, send)
