"""`sourcier serve --workers 2` as a real subprocess: nothing one process needs lives in another's memory.

Each request opens its own connection, so the kernel spreads them over both processes: a session created by
one must be honoured by the other, and the sign-in rate limit must count failures seen by either.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from psycopg import Connection

from sourcier.store import users
from tests.api.conftest import PASSWORD

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_server_processes_share_sessions_and_rate_limits(conn: Connection[Any], pg: str, tmp_path: Path) -> None:
    users.create_user(conn, "alice", password=PASSWORD)
    users.create_user(conn, "bob", password=PASSWORD)
    port = _free_port()
    env = {**os.environ, "SOURCIER_DATABASE_URL": pg, "SOURCIER_HOME": str(tmp_path), "SOURCIER_EMBEDDING_THREADS": "1"}
    log = (tmp_path / "serve.log").open("w+")
    server = subprocess.Popen(
        [sys.executable, "-m", "sourcier.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        started = 0
        while started < 2:  # both processes up (each logs its own start once its lifespan ran)
            assert server.poll() is None and time.monotonic() < deadline, Path(log.name).read_text()
            time.sleep(0.3)
            started = Path(log.name).read_text().count("Application startup complete")
        r = httpx.post(f"{base}/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
        assert r.status_code == 200, r.text
        cookie = {"sourcier_session": r.cookies["sourcier_session"]}
        seen = [httpx.get(f"{base}/api/v1/me", cookies=cookie).status_code for _ in range(30)]  # fresh connections
        assert seen == [200] * 30
        for _ in range(5):
            assert httpx.post(f"{base}/api/v1/auth/login", json={"username": "bob", "password": "x"}).status_code == 401
        after = [httpx.post(f"{base}/api/v1/auth/login", json={"username": "bob", "password": PASSWORD}).status_code
                 for _ in range(6)]  # fmt: skip
        assert after == [429] * 6  # whichever process answers, the five failures count
        assert httpx.get(f"{base}/readyz").status_code == 200
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
