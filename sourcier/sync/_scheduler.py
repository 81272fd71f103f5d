"""The sync schedule: run the sources that are due, once or in a loop until told to stop."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from psycopg import Connection

from sourcier.config import Settings
from sourcier.embed import Embedder
from sourcier.errors import SourcierError, SyncAlreadyRunning
from sourcier.store import sources as source_store
from sourcier.sync._declared import sync_declared_sources
from sourcier.sync._engine import SyncEngine
from sourcier.sync._indexer import IndexEvent
from sourcier.sync._report import SyncReport

log = logging.getLogger(__name__)


class Scheduler:
    """Runs the sources that are due: once (`run_due`) or in a loop until told to stop (`watch`).

    It opens no database itself: whoever composes the process (the CLI's `sync --watch`, `serve`) hands it
    a migrated connection and keeps it open for as long as the schedule runs.
    """

    def __init__(
        self,
        *,
        settings: Settings,
        embedder: Embedder,
        on_event: Callable[[IndexEvent], None] = lambda e: None,
        on_report: Callable[[SyncReport], None] = lambda r: None,
        poll_s: float = 5.0,
    ) -> None:
        self._settings = settings
        self._engine = SyncEngine(settings=settings, embedder=embedder, on_event=on_event)
        self._on_report = on_report
        self._poll_s = poll_s

    def run_due(self, conn: Connection[Any]) -> list[SyncReport]:
        reports = []
        for name in source_store.due_sources(conn):
            try:
                report = self._engine.run(conn, name)
            except SyncAlreadyRunning:
                log.info("source %s is being synced elsewhere; skipped", name)
                continue
            except SourcierError as exc:
                log.warning("sync of %s failed: %s", name, exc)
                continue
            reports.append(report)
            self._on_report(report)
        return reports

    def watch(self, conn: Connection[Any], stop: threading.Event) -> None:
        """Foreground loop: store sourcier.toml's sources (checked: ConfigError before anything is stored), then
        every few seconds sync what is due; returns soon after `stop` is set. `conn` is used by this loop only."""
        sync_declared_sources(conn, self._settings.sources, settings=self._settings)
        while not stop.is_set():
            self.run_due(conn)
            stop.wait(self._poll_s)
