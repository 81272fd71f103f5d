"""`sourcier worker`: a process that takes jobs of any running sync, so that one large run uses many machines."""

from __future__ import annotations

import threading
import time
from typing import Any

from psycopg import Connection

from sourcier.store import jobs as job_store
from sourcier.sync._lease import LeaseHeartbeat, conninfo_of
from sourcier.sync._report import SyncReport
from sourcier.sync._runner import JobTaker, check_model, worker_name

_IDLE_WAIT_S = 0.2  # between claims when no run has pending jobs


class Worker(JobTaker):
    """`sourcier worker`: takes jobs of any running sync until stopped (or idle for `idle_exit_s`)."""

    @property
    def worker_id(self) -> str:
        """`host:pid`, as recorded against the jobs this worker did."""
        return worker_name()

    def run(
        self, conn: Connection[Any], *, stop: threading.Event | None = None, idle_exit_s: float | None = None
    ) -> SyncReport:
        report = SyncReport(source="*")
        check_model(conn, self._embedder.model_id)
        stop = stop or threading.Event()
        idle_since = time.monotonic()
        lease_s = self._settings.sync_lease_s
        heartbeat = LeaseHeartbeat(conninfo_of(conn), worker=self.worker_id, lease_s=lease_s)
        runner = self._new_runner()
        try:
            with heartbeat:
                while not stop.is_set():
                    batch = job_store.claim(
                        conn, worker=runner.worker_id, n=self._settings.sync_claim_batch,
                        lease_s=self._settings.sync_lease_s,
                    )  # fmt: skip
                    if batch:
                        runner.process(conn, batch, report)
                        idle_since = time.monotonic()
                        continue
                    if idle_exit_s is not None and time.monotonic() - idle_since >= idle_exit_s:
                        break
                    stop.wait(_IDLE_WAIT_S)
        finally:
            runner.close()
        return report
