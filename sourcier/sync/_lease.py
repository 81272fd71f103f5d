"""The heartbeat of a worker's leases: a dead worker's jobs are retaken after one short lease.

A claimed job is leased for `sync_lease_s`; a worker still alive extends its leases every third of that,
from a thread with its own connection (the main one is busy inside document transactions, and the
embedder may hold the main thread for longer than a lease). So the lease can be short (60 s by default)
without a slow batch ever being taken over, while a worker killed with SIGKILL stops beating and its
jobs go back to the queue one lease later.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Any

import psycopg
from psycopg import Connection
from psycopg.conninfo import make_conninfo

from sourcier import store
from sourcier.errors import SourcierError
from sourcier.store import jobs as job_store

log = logging.getLogger(__name__)


def conninfo_of(conn: Connection[Any]) -> str:
    """A connection string for a second connection to the same database (`info.dsn` omits the password)."""
    password = conn.info.password
    return make_conninfo(conn.info.dsn, password=password) if password else conn.info.dsn


class LeaseHeartbeat:
    """Extends `worker`'s leases every `lease_s / 3` seconds while the `with` block runs."""

    def __init__(self, conninfo: str, *, worker: str, lease_s: float) -> None:
        self._conninfo = conninfo
        self._worker = worker
        self._lease_s = lease_s
        self._every_s = lease_s / 3
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.beats = 0  # heartbeats sent (for tests and logs)

    def __enter__(self) -> LeaseHeartbeat:
        self._thread = threading.Thread(target=self._beat, name=f"lease-{self._worker}", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._every_s + 5)

    def _beat(self) -> None:
        conn: Connection[Any] | None = None
        try:
            while not self._stop.wait(self._every_s):
                try:
                    if conn is None or conn.closed:
                        conn = store.connect(self._conninfo)
                    job_store.extend_leases(conn, worker=self._worker, lease_s=self._lease_s)
                    self.beats += 1
                except (psycopg.Error, SourcierError) as exc:
                    # The next beat tries again on a new connection; if none gets through, the leases lapse
                    # and another worker takes the jobs, which is what should happen to a cut-off worker.
                    log.warning("lease heartbeat of %s failed: %s", self._worker, exc)
                    if conn is not None:
                        conn.close()
                    conn = None
        finally:
            if conn is not None:
                conn.close()
