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

import logging
import os
import re
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg import Connection

from sourcier import store
from sourcier.config import Settings, SourceConfig
from sourcier.embed import Embedder
from sourcier.errors import ConfigError, SourcierError, SyncAlreadyRunning, SyncError
from sourcier.ingest import is_supported
from sourcier.store import chunks as chunk_store
from sourcier.store import documents as doc_store
from sourcier.store import embeddings as emb_store
from sourcier.store import jobs as job_store
from sourcier.store import sources as source_store
from sourcier.sync._connector import Connector, FetchedItem, FetchFailed, ItemRef, ListingProblem, NotModified
from sourcier.sync._connectors import create_connector
from sourcier.sync._filesystem import NothingListed, RefusedItem
from sourcier.sync._indexer import (
    IndexEvent,
    IndexReport,
    Parsed,
    _file_hash,
    _init_worker,
    _parse_in_worker,
    chunking_fingerprint,
    embed_with_cache,
)
from sourcier.sync._lease import LeaseHeartbeat, conninfo_of
from sourcier.sync._validate import SourcePolicy, check_declared

log = logging.getLogger(__name__)

ConnectorFactory = Callable[[str, str, Settings, Mapping[str, Any]], Connector]

_EVERY = re.compile(r"^\s*(\d+)\s*(s|m|h|d)?\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(text: str) -> int:
    """'90s', '30m', '1h', '2d' (or plain seconds) -> seconds."""
    m = _EVERY.match(text)
    if not m or int(m.group(1)) <= 0:
        raise ConfigError(f"{text!r} is not a schedule", hint="write e.g. 30m, 1h or 1d")
    return int(m.group(1)) * _UNIT_S[m.group(2) or "s"]


@dataclass(slots=True)
class SyncReport(IndexReport):
    """What one run did. Lists hold what this process did; `counts` covers every worker of the run."""

    source: str = ""
    run_id: int = 0
    status: str = "succeeded"
    moved: list[tuple[str, str]] = field(default_factory=list)  # (old uri, new uri)
    waiting: list[str] = field(default_factory=list)  # failed earlier, retry not due yet
    interrupted_runs: list[int] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    unread: int = 0  # skipped by the planner on their version hint alone
    listing_problems: int = 0  # parts of the source that could not be listed (an unreadable folder, a bad rule)
    still_failed: int = 0  # failed in an earlier run and unchanged since: not read again


def _stat_signature(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


class _JobRunner:
    """Does claimed jobs: shared by the in-process work of `sourcier sync` and by `sourcier worker`."""

    def __init__(
        self,
        *,
        settings: Settings,
        embedder: Embedder,
        emit: Callable[[IndexEvent], None],
        connector_factory: ConnectorFactory,
        worker_id: str,
    ) -> None:
        self._settings = settings
        self._embedder = embedder
        self._emit = emit
        self._factory = connector_factory
        self.worker_id = worker_id
        self._fingerprint = chunking_fingerprint(settings)
        self._connectors: dict[int, Connector] = {}
        self._vanished: dict[int, list[str]] = {}
        self._pool: ProcessPoolExecutor | None = None
        self._local_ready = False
        self._scratch = Path(tempfile.mkdtemp(prefix="sourcier-sync-"))

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    @property
    def model_id(self) -> str:
        return self._embedder.model_id

    def use_connector(self, source_id: int, connector: Connector) -> None:
        self._connectors[source_id] = connector

    def connector_for(self, conn: Connection[Any], source_id: int) -> Connector:
        if source_id not in self._connectors:
            src = source_store.source_by_id(conn, source_id)
            self._connectors[source_id] = self._factory(src.kind, src.location, self._settings, _options(src))
        return self._connectors[source_id]

    def close(self) -> None:
        for c in self._connectors.values():
            c.close()
        self._connectors.clear()
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        for p in self._scratch.glob("*"):
            p.unlink(missing_ok=True)
        self._scratch.rmdir()

    # -- one batch ------------------------------------------------------------------------------------

    def process(self, conn: Connection[Any], batch: Sequence[job_store.Job], report: SyncReport) -> None:
        to_parse: list[tuple[job_store.Job, doc_store.DocumentMeta, FetchedItem, tuple[int, int], bool]] = []
        for job in batch:
            item = self._prepare(conn, job, report)
            if item is not None:
                to_parse.append(item)
        parsed: list[tuple[job_store.Job, doc_store.DocumentMeta, FetchedItem, tuple[int, int], bool, Parsed]] = []
        results = self._parse([str(t[2].local_path) for t in to_parse])
        for (job, meta, fetched, sig, is_new), result in zip(to_parse, results, strict=True):
            self._emit(IndexEvent("parsed", meta.path))
            if isinstance(result, str):
                self._fail(conn, job, meta, result, report, transient=False)
                _drop(fetched)
                continue
            parsed.append((job, meta, fetched, sig, is_new, result))
        texts = [c.embedding_text for *_, p in parsed for c in p.chunks]
        if texts:
            t0 = time.perf_counter()
            vectors, fresh = embed_with_cache(conn, self._embedder, texts)
            report.seconds["embed"] += time.perf_counter() - t0
            report.embedded += fresh
            report.reused += len(texts) - fresh
            self._emit(IndexEvent("embedded", parsed[-1][1].path, len(texts)))
            # Newly embedded passages are spread over the documents that brought them, for per-job counts.
            fresh_left = fresh
        else:
            vectors, fresh_left = np.zeros((0, self._embedder.dimension), np.float32), 0
        start = 0
        for job, meta, fetched, sig, is_new, p in parsed:
            n = len(p.chunks)
            share = min(fresh_left, n)
            fresh_left -= share
            self._store(conn, job, meta, fetched, sig, is_new, p, vectors[start : start + n], share, report)
            start += n
            _drop(fetched)

    def _prepare(
        self, conn: Connection[Any], job: job_store.Job, report: SyncReport
    ) -> tuple[job_store.Job, doc_store.DocumentMeta, FetchedItem, tuple[int, int], bool] | None:
        """Fetch and hash one item; finish it here when nothing needs parsing (unchanged, moved, failed)."""
        connector = self.connector_for(conn, job.source_id)
        acl = tuple(job.acl)
        modified = job.modified_at or datetime.now(UTC)
        meta = doc_store.DocumentMeta(job.uri, job.path, job.size_bytes or 0, modified, b"", acl)
        state = job_store.known_document(conn, job.source_id, job.uri)
        if job.size_bytes is not None and job.size_bytes > self._settings.max_file_bytes:
            cap = self._settings.max_file_mb
            reason = f"file is {job.size_bytes / 2**20:.1f} MB, over the {cap:g} MB limit"
            self._fail(conn, job, meta, reason, report, transient=False)
            return None
        ref = ItemRef(job.uri, job.path, job.version, job.size_bytes, job.modified_at, acl)
        try:
            fetched = connector.fetch(ref, known_version=state.version if state else None, scratch=self._scratch)
        except NotModified:
            with conn.transaction():
                if state is not None:
                    job_store.set_version(conn, state.id, job.version)
                job_store.complete(conn, job, worker=self.worker_id, outcome="unchanged")
                job_store.clear_retry(conn, job.source_id, job.uri)
            report.unchanged.append(job.path)
            return None
        except FetchFailed as exc:
            self._fail(conn, job, meta, str(exc) or "the source could not give this item now", report, transient=True)
            return None
        local = fetched.local_path
        if not is_supported(local):
            self._fail(conn, job, meta, f"unsupported file type {local.suffix or '(no extension)'}", report)
            _drop(fetched)
            return None
        try:
            sig = _stat_signature(local)
            if sig[0] > self._settings.max_file_bytes:
                cap = self._settings.max_file_mb
                self._fail(conn, job, meta, f"file is {sig[0] / 2**20:.1f} MB, over the {cap:g} MB limit", report)
                _drop(fetched)
                return None
            digest = _file_hash(str(local))
            if _stat_signature(local) != sig:
                raise _ChangedWhileRead
        except _ChangedWhileRead:
            self._fail(conn, job, meta, "the file changed while it was being read", report, transient=True)
            _drop(fetched)
            return None
        except OSError as exc:
            self._fail(conn, job, meta, f"cannot read file: {exc.strerror or exc}", report, transient=True)
            _drop(fetched)
            return None
        meta = doc_store.DocumentMeta(job.uri, job.path, sig[0], modified, digest, acl)
        if (
            state is not None
            and state.status == "indexed"
            and state.content_hash == digest
            and state.chunking == self._fingerprint
        ):
            with conn.transaction():
                doc_store.touch(conn, state.id, meta)
                job_store.set_version(conn, state.id, fetched.version)
                job_store.complete(conn, job, worker=self.worker_id, outcome="unchanged")
                job_store.clear_retry(conn, job.source_id, job.uri)
            report.unchanged.append(job.path)
            self._emit(IndexEvent("skipped", job.path))
            _drop(fetched)
            return None
        if state is None:
            if job.run_id not in self._vanished:
                self._vanished[job.run_id] = job_store.run_vanished(conn, job.run_id)
            if self._vanished[job.run_id]:
                with conn.transaction():
                    moved = job_store.move_document(
                        conn,
                        source_id=job.source_id,
                        content_hash=digest,
                        chunking=self._fingerprint,
                        vanished=self._vanished[job.run_id],
                        new_uri=job.uri,
                        path=job.path,
                        version=fetched.version,
                        size=sig[0],
                        modified_at=modified,
                        acl=acl,
                    )
                    if moved is not None:
                        report.moved.append((moved[1], job.uri))
                        if not job_store.complete(conn, job, worker=self.worker_id, outcome="moved"):
                            raise psycopg.Rollback()
                        job_store.clear_retry(conn, job.source_id, job.uri)
                if moved is not None:
                    self._emit(IndexEvent("stored", job.path, 0, detail="moved"))
                    _drop(fetched)
                    return None
        return job, meta, fetched, sig, state is None

    def _parse(self, paths: list[str]) -> Iterator[Parsed | str]:
        if not paths:
            return
        workers = self._settings.parse_workers or (os.cpu_count() or 1)
        if len(paths) < 8 or workers == 1:
            if not self._local_ready:
                _init_worker(self._settings)
                self._local_ready = True
            for p in paths:
                yield _parse_in_worker(p)
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(self._settings,))
        yield from self._pool.map(_parse_in_worker, paths, chunksize=2)

    def _store(
        self,
        conn: Connection[Any],
        job: job_store.Job,
        meta: doc_store.DocumentMeta,
        fetched: FetchedItem,
        sig: tuple[int, int],
        is_new: bool,
        parsed: Parsed,
        vectors: npt.NDArray[np.float32],
        fresh: int,
        report: SyncReport,
    ) -> None:
        try:
            if not fetched.temporary and _stat_signature(fetched.local_path) != sig:
                self._fail(conn, job, meta, "the file changed while it was being read", report, transient=True)
                return
        except OSError as exc:
            self._fail(conn, job, meta, f"the file went away while being read: {exc.strerror}", report, transient=True)
            return
        t0 = time.perf_counter()
        outcome = "new" if is_new else "modified"
        try:
            with conn.transaction():
                # Of the active model only (waits for, then refuses after, a model switch: see ADR 0005).
                emb_store.hold_active(conn, self._embedder.model_id, self._embedder.dimension)
                doc_id = doc_store.upsert_indexed(
                    conn,
                    job.source_id,
                    meta,
                    title=parsed.title,
                    mime_type=parsed.mime_type,
                    language=parsed.language,
                    page_count=parsed.page_count,
                    body=parsed.body.replace("\x00", ""),
                    chunking=self._fingerprint,
                )
                chunk_store.replace_chunks(
                    conn,
                    doc_id,
                    parsed.chunks,
                    vectors,
                    model_id=self._embedder.model_id,
                    language=parsed.language,
                    acl=meta.acl,
                )
                job_store.set_version(conn, doc_id, fetched.version)
                done = job_store.complete(
                    conn, job, worker=self.worker_id, outcome=outcome, chunks=len(parsed.chunks), embedded=fresh
                )
                if not done:  # another worker took this job over after our lease ran out, and finished it
                    raise psycopg.Rollback()
                job_store.clear_retry(conn, job.source_id, job.uri)
        except psycopg.DataError as exc:  # text PostgreSQL refuses (e.g. NUL bytes): this item only
            self._fail(conn, job, meta, f"could not store the text ({exc.diag.message_primary})", report)
            return
        if not done:
            return
        report.seconds["parse"] += parsed.parse_s
        report.seconds["split"] += parsed.split_s
        report.seconds["store"] += time.perf_counter() - t0
        report.ingested.append(meta.path)
        report.chunks += len(parsed.chunks)
        self._emit(IndexEvent("stored", meta.path, len(parsed.chunks)))

    def _fail(
        self,
        conn: Connection[Any],
        job: job_store.Job,
        meta: doc_store.DocumentMeta,
        reason: str,
        report: SyncReport,
        *,
        transient: bool = False,
    ) -> None:
        """Record why this item failed; a transient failure keeps the indexed version and is retried later.

        A permanent one (too large, unsupported, unparseable) leaves a failed document that the planner
        skips until the item's version changes.
        """
        with conn.transaction():
            if not job_store.complete(conn, job, worker=self.worker_id, outcome="failed", failed=True):
                raise psycopg.Rollback()
            job_store.record_error(conn, job.run_id, job.uri, reason)
            if transient:
                job_store.retry_later(conn, job.source_id, job.uri, reason, base_s=self._settings.sync_retry_base_s)
            else:
                doc_store.record_failure(conn, job.source_id, meta, reason)
                job_store.set_version_by_uri(conn, job.source_id, job.uri, job.version)
                job_store.clear_retry(conn, job.source_id, job.uri)
        report.failed.append((meta.path, reason))
        self._emit(IndexEvent("failed", meta.path, detail=reason))


class _ChangedWhileRead(Exception):
    pass


class _NothingListed(SyncError):
    """The source as a whole could not be listed: the run fails, keeps every document, and waits its turn."""


def _drop(fetched: FetchedItem) -> None:
    if fetched.temporary:
        fetched.local_path.unlink(missing_ok=True)


def _options(src: source_store.Source) -> dict[str, Any]:
    return {**src.settings, "default_acl": tuple(src.default_acl)}


def _check_model(conn: Connection[Any], model_id: str) -> None:
    """Refuse to start on another model than the index's (each document checks again, under a lock)."""
    active = emb_store.active_model(conn)
    if active is not None and active.model_id != model_id and emb_store.has_passages(conn):
        raise emb_store.mismatch(active=active.model_id, mine=model_id, what="passages")


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class SyncEngine:
    """Brings the index of one configured source in line with the source (see the module docstring)."""

    def __init__(
        self,
        *,
        settings: Settings,
        embedder: Embedder,
        on_event: Callable[[IndexEvent], None] = lambda e: None,
        connector_factory: ConnectorFactory = create_connector,
    ) -> None:
        self._settings = settings
        self._embedder = embedder
        self._emit = on_event
        self._factory = connector_factory
        self._fingerprint = chunking_fingerprint(settings)

    def run(self, conn: Connection[Any], source_name: str) -> SyncReport:
        started = time.perf_counter()
        src = source_store.get_source(conn, source_name)
        _check_model(conn, self._embedder.model_id)
        if not job_store.try_lock_source(conn, src.id):
            raise SyncAlreadyRunning(
                f"a sync of {source_name!r} is already running (in another process)",
                hint="wait for it to finish; `sourcier source list` shows its last run",
            )
        runner = _JobRunner(
            settings=self._settings,
            embedder=self._embedder,
            emit=self._emit,
            connector_factory=self._factory,
            worker_id=_worker_name(),
        )
        report = SyncReport(source=source_name)
        try:
            report.interrupted_runs = job_store.interrupt_dead_runs(conn, src.id)
            report.run_id = job_store.start_run(conn, src.id)
            try:
                connector = self._factory(src.kind, src.location, self._settings, _options(src))
                runner.use_connector(src.id, connector)
                self._plan(conn, src, connector, report)
                with LeaseHeartbeat(conninfo_of(conn), worker=runner.worker_id, lease_s=self._settings.sync_lease_s):
                    self._work(conn, runner, report)
                self._finalise(conn, src, report)
            except BaseException as exc:
                report.status = "failed" if isinstance(exc, Exception) else "interrupted"
                with conn.transaction():
                    job_store.finish_run(
                        conn, report.run_id, status=report.status, counts={}, error=str(exc) or type(exc).__name__
                    )
                    if isinstance(exc, _NothingListed):  # tried again at its usual time, not at every poll
                        job_store.schedule_next(conn, src.id)
                raise
        finally:
            runner.close()
            job_store.unlock_source(conn, src.id)
        report.seconds["wall"] = time.perf_counter() - started
        return report

    def _plan(self, conn: Connection[Any], src: source_store.Source, connector: Connector, report: SyncReport) -> None:
        """List, skip what the version hints say is unchanged, enqueue the rest."""
        known = job_store.known_documents(conn, src.id)
        retries = job_store.retries(conn, src.id)
        default = tuple(sorted(set(src.default_acl)))
        listed: list[str] = []
        kept_prefixes: list[str] = []
        todo: list[tuple[str, str, str, int | None, datetime | None, tuple[str, ...]]] = []
        for item in connector.list_items():
            if isinstance(item, ListingProblem):
                job_store.record_error(conn, report.run_id, item.uri, item.reason)
                if isinstance(item, NothingListed):
                    raise _NothingListed(
                        f"nothing could be listed in {src.location}: {item.reason}",
                        hint="its documents are kept; the next run tries again at its usual time",
                    )
                report.failed.append((item.uri, item.reason))
                report.listing_problems += 1
                if not isinstance(item, RefusedItem):  # what could not be listed now is not deleted
                    listed.append(item.uri)
                    kept_prefixes.append(item.uri.rstrip("/") + "/")
                continue
            listed.append(item.uri)
            acl = tuple(sorted(set(item.acl))) if item.acl is not None else default
            state = known.get(item.uri)
            if state is not None and state.status == "indexed" and tuple(sorted(state.acl)) != acl:
                doc_store.set_acl(conn, state.id, acl)
                report.acl_updated.append(item.path)
            retry = retries.get(item.uri)
            if retry is not None and not retry.due:
                report.waiting.append(item.path)
                continue
            if retry is None and state is not None and self._unchanged(state, item):
                if state.status == "indexed":
                    report.unchanged.append(item.path)
                    report.unread += 1
                else:
                    report.failed.append((item.path, "unchanged since it failed"))
                    report.still_failed += 1
                self._emit(IndexEvent("skipped", item.path))
                continue
            todo.append((item.uri, item.path, item.version, item.size, item.modified_at, acl))
        self._emit(IndexEvent("scanned", src.location, len(listed)))
        seen = set(listed)
        for uri in known:
            if uri not in seen and any(uri.startswith(p) for p in kept_prefixes):
                listed.append(uri)
                seen.add(uri)
        vanished = [u for u in known if u not in seen]
        with conn.transaction():
            job_store.record_plan(conn, report.run_id, listed=listed, vanished=vanished, total=len(todo))
            job_store.enqueue(conn, report.run_id, todo)

    def _unchanged(self, state: job_store.KnownDocument, item: ItemRef) -> bool:
        if state.status == "indexed" and state.chunking != self._fingerprint:
            return False
        if state.version is not None:
            return state.version == item.version
        return item.size is not None and state.size_bytes == item.size and state.modified_at == item.modified_at

    def _work(self, conn: Connection[Any], runner: _JobRunner, report: SyncReport) -> None:
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
                time.sleep(0.2)

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


class Worker:
    """`sourcier worker`: takes jobs of any running sync until stopped (or idle for `idle_exit_s`)."""

    def __init__(
        self,
        *,
        settings: Settings,
        embedder: Embedder,
        on_event: Callable[[IndexEvent], None] = lambda e: None,
        connector_factory: ConnectorFactory = create_connector,
    ) -> None:
        self._settings = settings
        self._runner = _JobRunner(
            settings=settings,
            embedder=embedder,
            emit=on_event,
            connector_factory=connector_factory,
            worker_id=_worker_name(),
        )

    @property
    def worker_id(self) -> str:
        """`host:pid`, as recorded against the jobs this worker did."""
        return self._runner.worker_id

    def run(
        self, conn: Connection[Any], *, stop: threading.Event | None = None, idle_exit_s: float | None = None
    ) -> SyncReport:
        report = SyncReport(source="*")
        _check_model(conn, self._runner.model_id)
        stop = stop or threading.Event()
        idle_since = time.monotonic()
        lease_s = self._settings.sync_lease_s
        heartbeat = LeaseHeartbeat(conninfo_of(conn), worker=self._runner.worker_id, lease_s=lease_s)
        try:
            with heartbeat:
                while not stop.is_set():
                    batch = job_store.claim(
                        conn, worker=self._runner.worker_id, n=self._settings.sync_claim_batch,
                        lease_s=self._settings.sync_lease_s,
                    )  # fmt: skip
                    if batch:
                        self._runner.process(conn, batch, report)
                        idle_since = time.monotonic()
                        continue
                    if idle_exit_s is not None and time.monotonic() - idle_since >= idle_exit_s:
                        break
                    stop.wait(0.2)
        finally:
            self._runner.close()
        return report


def sync_declared_sources(conn: Connection[Any], declared: Sequence[SourceConfig], *, settings: Settings) -> list[str]:
    """Create or update the sources declared in sourcier.toml (those added by the CLI are left alone).

    All are checked first (ConfigError, nothing stored, if one fails). The file is written by whoever runs the
    server, so it reaches as far as the local CLI does; `settings` is required so that no caller can store the
    file's sources without checking them.
    """
    names = []
    for d in check_declared(declared, SourcePolicy.local(settings)):
        source_store.add_source(
            conn,
            name=d.name,
            kind=d.kind,
            location=d.location,
            every_s=parse_every(d.every) if d.every else None,
            read=d.read,
            settings=dict(d.settings),
        )
        names.append(d.name)
    return names


class Scheduler:
    """Runs the sources that are due: once (`run_due`) or in a loop until told to stop (`watch`)."""

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

    def watch(self, stop: threading.Event) -> None:
        """Foreground loop: every few seconds, sync what is due; returns soon after `stop` is set."""
        with store.database(self._settings) as conninfo, store.connect(conninfo) as conn:
            store.migrate(conn)
            sync_declared_sources(conn, self._settings.sources, settings=self._settings)
            while not stop.is_set():
                self.run_due(conn)
                stop.wait(self._poll_s)


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
