"""The sync engine: plan (list, triage, enqueue), work jobs (fetch, hash, move or parse-embed-store), finalise.

Crash safety comes from three rules. Each document's write and its job's completion are one transaction,
so a killed process leaves every document entirely old or entirely new and no job half done. A run
holds its source's advisory lock for its whole life, so a run still marked 'running' when the next one
takes the lock belongs to a dead process: it is marked 'interrupted' and its pending jobs dropped; the
new run lists again and finished documents match by version or content hash, so nothing is redone.
Deletions happen only in the finalising transaction, after every job of the run is finished.

Several processes share a run's jobs (`sourcier worker`): they lease batches with FOR UPDATE SKIP LOCKED.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from psycopg import Connection

from sourcier.config import Settings
from sourcier.embed import Embedder
from sourcier.errors import SyncAlreadyRunning
from sourcier.store import jobs as job_store
from sourcier.store import sources as source_store
from sourcier.sync._indexer import IndexEvent
from sourcier.sync._lease import LeaseHeartbeat, conninfo_of
from sourcier.sync._plan import NothingListedError, Planner
from sourcier.sync._report import SyncReport
from sourcier.sync._runner import JobRunner, JobTaker, check_model, connector_options

_IDLE_WAIT_S = 0.2  # between claims while other workers hold the run's last jobs


class SyncEngine(JobTaker):
    """Brings the index of one configured source in line with the source (see the module docstring)."""

    def run(self, conn: Connection[Any], source_name: str) -> SyncReport:
        started = time.perf_counter()
        src = source_store.get_source(conn, source_name)
        check_model(conn, self._embedder.model_id)
        if not job_store.try_lock_source(conn, src.id):
            raise SyncAlreadyRunning(
                f"a sync of {source_name!r} is already running (in another process)",
                hint="wait for it to finish; `sourcier source list` shows its last run",
            )
        runner = self._new_runner()
        planner = Planner(fingerprint=runner.fingerprint, emit=self._emit)
        report = SyncReport(source=source_name)
        try:
            report.interrupted_runs = job_store.interrupt_dead_runs(conn, src.id)
            report.run_id = job_store.start_run(conn, src.id)
            try:
                connector = self._factory(src.kind, src.location, self._settings, connector_options(src))
                runner.use_connector(src.id, connector)
                planner.plan(conn, src, connector, report)
                with LeaseHeartbeat(conninfo_of(conn), worker=runner.worker_id, lease_s=self._settings.sync_lease_s):
                    self._work(conn, runner, report)
                self._finalise(conn, src, report)
            except BaseException as exc:
                report.status = "failed" if isinstance(exc, Exception) else "interrupted"
                with conn.transaction():
                    job_store.finish_run(
                        conn, report.run_id, status=report.status, counts={}, error=str(exc) or type(exc).__name__
                    )
                    if isinstance(exc, NothingListedError):  # tried again at its usual time, not at every poll
                        job_store.schedule_next(conn, src.id)
                raise
        finally:
            runner.close()
            job_store.unlock_source(conn, src.id)
        report.seconds["wall"] = time.perf_counter() - started
        return report

    def _work(self, conn: Connection[Any], runner: JobRunner, report: SyncReport) -> None:
        """Do this run's jobs here too; wait for those other workers hold, until the run's queue is drained."""
        while True:
            batch = job_store.claim(
                conn,
                worker=runner.worker_id,
                n=self._settings.sync_claim_batch,
                lease_s=self._settings.sync_lease_s,
                run_id=report.run_id,
            )
            if batch:
                runner.process(conn, batch, report)
            elif job_store.pending_count(conn, report.run_id) == 0:
                return
            else:
                time.sleep(_IDLE_WAIT_S)

    def _finalise(self, conn: Connection[Any], src: source_store.Source, report: SyncReport) -> None:
        with conn.transaction():
            report.deleted = job_store.delete_unlisted(conn, report.run_id)
            job_store.forget_unlisted_retries(conn, report.run_id)
            outcomes = job_store.outcomes(conn, report.run_id)
            counts = {name: n for name, (n, _, _) in outcomes.items()}
            counts["deleted"] = len(report.deleted)
            counts["unchanged"] = counts.get("unchanged", 0) + report.unread
            counts["chunks"] = sum(c for _, c, _ in outcomes.values())
            counts["embedded"] = sum(e for _, _, e in outcomes.values())
            # Every worker's failed items and the listing's problems (both recorded as the run's errors),
            # and items skipped because they failed before and have not changed since.
            counts["listing_errors"] = report.listing_problems
            counts["errors"] = job_store.error_count(conn, report.run_id) + report.still_failed
            report.counts = counts
            job_store.finish_run(conn, report.run_id, status="succeeded", counts=counts)
            job_store.schedule_next(conn, src.id)


class FolderIndexer:
    """`sourcier ingest FOLDER`: ensure a filesystem source for this folder, and sync it now."""

    def __init__(
        self,
        *,
        settings: Settings,
        embedder: Embedder,
        on_event: Callable[[IndexEvent], None] = lambda e: None,
    ) -> None:
        self._engine = SyncEngine(settings=settings, embedder=embedder, on_event=on_event)

    def run(self, conn: Connection[Any], folder: Path, *, source_name: str | None = None) -> SyncReport:
        folder = folder.resolve()
        name = source_name or folder.name
        existing = {s.name: s for s in source_store.list_sources(conn)}
        if name in existing:
            source_store.update_source(conn, name, location=str(folder))
        else:
            source_store.add_source(
                conn, name=name, kind="filesystem", location=str(folder), every_s=None, read=["role:admin"]
            )
        return self._engine.run(conn, name)
