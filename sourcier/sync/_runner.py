"""Doing claimed jobs: fetch and hash each item, finish those that need no parsing, parse, embed, store.

Shared by the in-process work of `sourcier sync` and by `sourcier worker`. Every job ends in one
transaction that writes its document (or its failure) and marks the job done, so a killed process leaves
each document entirely old or entirely new; a job another worker finished after our lease ran out is
rolled back here rather than written twice.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg import Connection

from sourcier.config import Settings
from sourcier.embed import Embedder
from sourcier.errors import FileTooLarge
from sourcier.ingest import check_file_size, is_supported
from sourcier.store import chunks as chunk_store
from sourcier.store import documents as doc_store
from sourcier.store import embeddings as emb_store
from sourcier.store import jobs as job_store
from sourcier.store import sources as source_store
from sourcier.sync._connector import Connector, FetchedItem, FetchFailed, ItemRef, NotModified
from sourcier.sync._connectors import create_connector
from sourcier.sync._indexer import IndexEvent, _file_hash, chunking_fingerprint, embed_with_cache
from sourcier.sync._items import ParsedItem, PreparedItem, drop_temporary, file_signature
from sourcier.sync._parsing import ParsePool
from sourcier.sync._report import SyncReport

# The shape of `create_connector`: (kind, location, settings, the source's own settings) -> a connector.
SourceConnectorFactory = Callable[[str, str, Settings, Mapping[str, Any]], Connector]

CHANGED_WHILE_READ = "the file changed while it was being read"


class JobRunner:
    """Does claimed jobs, batch by batch; holds the connectors, parse pool and scratch folder until `close`."""

    def __init__(
        self,
        *,
        settings: Settings,
        embedder: Embedder,
        emit: Callable[[IndexEvent], None],
        connector_factory: SourceConnectorFactory,
        worker_id: str,
    ) -> None:
        self._settings = settings
        self._embedder = embedder
        self._emit = emit
        self._factory = connector_factory
        self.worker_id = worker_id
        self._fingerprint = chunking_fingerprint(settings)
        self._connectors: dict[int, Connector] = {}
        self._vanished: dict[int, list[str]] = {}  # per run: uris listed before and not now (move candidates)
        self._parser = ParsePool(settings)
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
            self._connectors[source_id] = self._factory(src.kind, src.location, self._settings, connector_options(src))
        return self._connectors[source_id]

    def close(self) -> None:
        for c in self._connectors.values():
            c.close()
        self._connectors.clear()
        self._parser.close()
        for p in self._scratch.glob("*"):
            p.unlink(missing_ok=True)
        self._scratch.rmdir()

    # -- one batch ------------------------------------------------------------------------------------

    def process(self, conn: Connection[Any], batch: Sequence[job_store.Job], report: SyncReport) -> None:
        prepared = [ready for job in batch if (ready := self._prepare(conn, job, report)) is not None]
        parsed = self._parse(conn, prepared, report)
        vectors, fresh_left = self._embed(conn, parsed, report)
        # Newly embedded passages are spread over the documents that brought them, for per-job counts.
        start = 0
        for item in parsed:
            n = len(item.parsed.chunks)
            share = min(fresh_left, n)
            fresh_left -= share
            self._store(conn, item, vectors[start : start + n], share, report)
            start += n
            drop_temporary(item.prepared.fetched)

    # -- fetch and hash one item ----------------------------------------------------------------------

    def _prepare(self, conn: Connection[Any], job: job_store.Job, report: SyncReport) -> PreparedItem | None:
        """Fetch and hash one item; finish it here when nothing needs parsing (unchanged, moved, failed)."""
        connector = self.connector_for(conn, job.source_id)
        meta = _listed_meta(job)
        state = job_store.known_document(conn, job.source_id, job.uri)
        if job.size_bytes is not None and not self._within_size_limit(conn, job, meta, job.size_bytes, report):
            return None
        fetched = self._fetch(conn, connector, job, meta, state, report)
        if fetched is None:
            return None
        item = self._hash(conn, job, meta, fetched, is_new=state is None, report=report)
        if item is None or self._finish_unchanged(conn, item, state, report) or self._finish_moved(conn, item, report):
            drop_temporary(fetched)
            return None
        return item

    def _within_size_limit(
        self, conn: Connection[Any], job: job_store.Job, meta: doc_store.DocumentMeta, size: int, report: SyncReport
    ) -> bool:
        """Whether the item fits the size cap; one that does not fails for good (until its version changes)."""
        try:
            check_file_size(size, self._settings.max_file_bytes)
        except FileTooLarge as exc:
            self._fail(conn, job, meta, exc.message, report)
            return False
        return True

    def _fetch(
        self,
        conn: Connection[Any],
        connector: Connector,
        job: job_store.Job,
        meta: doc_store.DocumentMeta,
        state: job_store.KnownDocument | None,
        report: SyncReport,
    ) -> FetchedItem | None:
        """The item's content, or None when the job is finished already: not modified, or failed for now."""
        ref = ItemRef(job.uri, job.path, job.version, job.size_bytes, job.modified_at, tuple(job.acl))
        try:
            return connector.fetch(ref, known_version=state.version if state else None, scratch=self._scratch)
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

    def _hash(
        self,
        conn: Connection[Any],
        job: job_store.Job,
        meta: doc_store.DocumentMeta,
        fetched: FetchedItem,
        *,
        is_new: bool,
        report: SyncReport,
    ) -> PreparedItem | None:
        """The fetched file's content hash, taken only from a readable file of a type we parse, within the cap,
        that kept its size and modification time while it was read; None once the job failed."""
        local = fetched.local_path
        if not is_supported(local):
            self._fail(conn, job, meta, f"unsupported file type {local.suffix or '(no extension)'}", report)
            return None
        try:
            signature = file_signature(local)
            if not self._within_size_limit(conn, job, meta, signature.size, report):
                return None
            digest = _file_hash(str(local))
            changed = file_signature(local) != signature
        except OSError as exc:
            self._fail(conn, job, meta, f"cannot read file: {exc.strerror or exc}", report, transient=True)
            return None
        if changed:
            self._fail(conn, job, meta, CHANGED_WHILE_READ, report, transient=True)
            return None
        read = replace(meta, size_bytes=signature.size, content_hash=digest)
        return PreparedItem(job, read, fetched, signature, is_new)

    def _finish_unchanged(
        self, conn: Connection[Any], item: PreparedItem, state: job_store.KnownDocument | None, report: SyncReport
    ) -> bool:
        """Same content, cut the same way, as the indexed document: only its metadata and version are refreshed."""
        if (
            state is None
            or state.status != "indexed"
            or state.content_hash != item.meta.content_hash
            or state.chunking != self._fingerprint
        ):
            return False
        job = item.job
        with conn.transaction():
            doc_store.touch(conn, state.id, item.meta)
            job_store.set_version(conn, state.id, item.fetched.version)
            job_store.complete(conn, job, worker=self.worker_id, outcome="unchanged")
            job_store.clear_retry(conn, job.source_id, job.uri)
        report.unchanged.append(job.path)
        self._emit(IndexEvent("skipped", job.path))
        return True

    def _finish_moved(self, conn: Connection[Any], item: PreparedItem, report: SyncReport) -> bool:
        """A new uri whose content matches a document that vanished from this run's listing: that document takes
        the new uri in place, passages and vectors kept."""
        job = item.job
        if not item.is_new:
            return False
        if job.run_id not in self._vanished:
            self._vanished[job.run_id] = job_store.run_vanished(conn, job.run_id)
        vanished = self._vanished[job.run_id]
        if not vanished:
            return False
        with conn.transaction():
            moved = job_store.move_document(
                conn,
                source_id=job.source_id,
                content_hash=item.meta.content_hash,
                chunking=self._fingerprint,
                vanished=vanished,
                new_uri=job.uri,
                path=job.path,
                version=item.fetched.version,
                size=item.signature.size,
                modified_at=item.meta.modified_at,
                acl=item.meta.acl,
            )
            if moved is not None:
                report.moved.append((moved[1], job.uri))
                if not job_store.complete(conn, job, worker=self.worker_id, outcome="moved"):
                    raise psycopg.Rollback()
                job_store.clear_retry(conn, job.source_id, job.uri)
        if moved is None:
            return False
        self._emit(IndexEvent("stored", job.path, 0, detail="moved"))
        return True

    # -- parse, embed, store --------------------------------------------------------------------------

    def _parse(self, conn: Connection[Any], prepared: list[PreparedItem], report: SyncReport) -> list[ParsedItem]:
        """The items that parsed; each one that did not is failed for good (until its version changes)."""
        parsed: list[ParsedItem] = []
        results = self._parser.parse([str(item.fetched.local_path) for item in prepared])
        for item, result in zip(prepared, results, strict=True):
            self._emit(IndexEvent("parsed", item.meta.path))
            if isinstance(result, str):
                self._fail(conn, item.job, item.meta, result, report)
                drop_temporary(item.fetched)
                continue
            parsed.append(ParsedItem(item, result))
        return parsed

    def _embed(
        self, conn: Connection[Any], parsed: list[ParsedItem], report: SyncReport
    ) -> tuple[npt.NDArray[np.float32], int]:
        """The vectors of every passage of the batch, in order, and how many of them were newly embedded."""
        texts = [c.embedding_text for item in parsed for c in item.parsed.chunks]
        if not texts:
            return np.zeros((0, self._embedder.dimension), np.float32), 0
        t0 = time.perf_counter()
        vectors, fresh = embed_with_cache(conn, self._embedder, texts)
        report.seconds["embed"] += time.perf_counter() - t0
        report.embedded += fresh
        report.reused += len(texts) - fresh
        self._emit(IndexEvent("embedded", parsed[-1].prepared.meta.path, len(texts)))
        return vectors, fresh

    def _store(
        self,
        conn: Connection[Any],
        item: ParsedItem,
        vectors: npt.NDArray[np.float32],
        fresh: int,
        report: SyncReport,
    ) -> None:
        prepared, parsed = item.prepared, item.parsed
        job, meta, fetched = prepared.job, prepared.meta, prepared.fetched
        try:
            if not fetched.temporary and file_signature(fetched.local_path) != prepared.signature:
                self._fail(conn, job, meta, CHANGED_WHILE_READ, report, transient=True)
                return
        except OSError as exc:
            self._fail(conn, job, meta, f"the file went away while being read: {exc.strerror}", report, transient=True)
            return
        t0 = time.perf_counter()
        outcome = "new" if prepared.is_new else "modified"
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


def _listed_meta(job: job_store.Job) -> doc_store.DocumentMeta:
    """The document's metadata as listed, before anything is read (what a failure before hashing records)."""
    modified = job.modified_at or datetime.now(UTC)
    return doc_store.DocumentMeta(job.uri, job.path, job.size_bytes or 0, modified, b"", tuple(job.acl))


def connector_options(src: source_store.Source) -> dict[str, Any]:
    """The source's own settings, as its connector is built with them (its default access list included)."""
    return {**src.settings, "default_acl": tuple(src.default_acl)}


def check_model(conn: Connection[Any], model_id: str) -> None:
    """Refuse to start on another model than the index's (each document checks again, under a lock)."""
    active = emb_store.active_model(conn)
    if active is not None and active.model_id != model_id and emb_store.has_passages(conn):
        raise emb_store.mismatch(active=active.model_id, mine=model_id, what="passages")


def worker_name() -> str:
    """`host:pid`, as recorded against the jobs a process did."""
    return f"{socket.gethostname()}:{os.getpid()}"


class JobTaker:
    """What takes a sync's jobs (`SyncEngine`, `Worker`): the parts each of its `JobRunner`s is built from."""

    def __init__(
        self,
        *,
        settings: Settings,
        embedder: Embedder,
        on_event: Callable[[IndexEvent], None] = lambda e: None,
        connector_factory: SourceConnectorFactory = create_connector,
    ) -> None:
        self._settings = settings
        self._embedder = embedder
        self._emit = on_event
        self._factory = connector_factory

    def _new_runner(self) -> JobRunner:
        """A runner for this process (`close` it: it holds connectors, a parse pool and a scratch folder)."""
        return JobRunner(
            settings=self._settings,
            embedder=self._embedder,
            emit=self._emit,
            connector_factory=self._factory,
            worker_id=worker_name(),
        )
