"""A real HTTP server on 127.0.0.1 for connector tests: routes set per test, every request recorded.

It answers conditional GETs the way a real server does (ETag / If-None-Match, Last-Modified /
If-Modified-Since), can hang (until the test ends) or redirect, so the connector is tested over real
sockets, timeouts included, and never against a mock.
"""

from __future__ import annotations

import email.utils
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    """What one path answers."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None  # an HTTP date
    location: str | None = None  # for redirects
    hang: bool = False  # accept the request and never answer (until the server stops)
    no_length: bool = False  # no Content-Length: the body ends when the connection closes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Site:
    """The server's routes and the log of requests (path, request headers) it received."""

    port: int
    routes: dict[str, Route]
    requests: list[tuple[str, dict[str, str]]]
    stop: threading.Event

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)


def _handler(site_ref: list[Site]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = 1 << 16  # headers and body in one write (separate small writes meet delayed ACKs: 40 ms each)

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            site = site_ref[0]
            site.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            route = site.routes.get(self.path)
            if route is None:
                self._answer(404, b"not found", {"Content-Type": "text/plain"})
                return
            if route.hang:
                site.stop.wait(30)
                self.close_connection = True
                return
            headers = {"Content-Type": route.content_type, **route.headers}
            if route.etag:
                headers["ETag"] = route.etag
            if route.last_modified:
                headers["Last-Modified"] = route.last_modified
            if route.location:
                headers["Location"] = route.location
            if route.status == 200 and self._not_modified(route):
                self._answer(304, b"", headers)
                return
            self._answer(route.status, route.body, headers)

        def _not_modified(self, route: Route) -> bool:
            if route.etag and self.headers.get("If-None-Match") == route.etag:
                return True
            since = self.headers.get("If-Modified-Since")
            if route.last_modified and since:
                return email.utils.parsedate_to_datetime(route.last_modified) <= email.utils.parsedate_to_datetime(
                    since
                )
            return False

        def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            route = site_ref[0].routes.get(self.path)
            if route is not None and route.no_length and status == 200:
                self.send_header("Connection", "close")
                self.close_connection = True
            else:
                self.send_header("Content-Length", str(0 if status == 304 else len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

    return Handler


@contextmanager
def serve() -> Iterator[Site]:
    """A started server in a daemon thread; stopped (hanging handlers released) when the block ends."""
    ref: list[Site] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ref))
    server.daemon_threads = True
    ref.append(Site(server.server_address[1], {}, [], threading.Event()))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield ref[0]
    finally:
        ref[0].stop.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
