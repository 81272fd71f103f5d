"""Index a folder: scan, skip what has not changed, parse in worker processes while the main process
embeds and writes, one transaction per document.

Parsing and splitting are CPU work in pure Python, so they run in a process pool and overlap with the
embedder (the physical limit on small machines). Vectors are looked up in the embedding cache first:
unchanged passage texts are never embedded again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg import Connection

from sourcier.config import Settings
from sourcier.embed import Embedder, create_embedder, text_hash
from sourcier.errors import IngestError
from sourcier.ingest import Splitter, detect_language, is_supported, load_file
from sourcier.store import chunks as chunk_store
from sourcier.store import documents as doc_store
from sourcier.store import embeddings as cache_store
from sourcier.sync._access import AccessRules
from sourcier.sync._scan import scan_folder
from sourcier.types import Chunk, SourceFile

log = logging.getLogger(__name__)

EventKind = Literal["scanned", "parsed", "embedded", "stored", "skipped", "failed"]


@dataclass(frozen=True, slots=True)
class IndexEvent:
    """Progress as it happens, for a progress bar: `count` files or passages, about `path`."""

    kind: EventKind
    path: str = ""
    count: int = 1
    detail: str = ""


@dataclass(slots=True)
class IndexReport:
    ingested: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    acl_updated: list[str] = field(default_factory=list)  # access rules changed, content did not
    chunks: int = 0
    embedded: int = 0  # passages that cost an embedding call
    reused: int = 0  # passages whose vector came from the cache
    # Seconds per stage. Parse and split run in worker processes (summed over files), overlapping
    # embed and store in the main process; wall is the whole run.
    seconds: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(("parse", "split", "embed", "store", "wall"), 0.0)
    )


@dataclass(frozen=True, slots=True)
class Parsed:
    """What a parse worker sends back: everything about one file but its vectors."""

    title: str
    mime_type: str
    language: str
    page_count: int | None
    body: str
    chunks: list[Chunk]
    parse_s: float = 0.0
    split_s: float = 0.0


def chunking_fingerprint(settings: Settings, embedder_id: str) -> str:
    """Changes when passages would be cut differently, so that a re-ingest redoes them."""
    return f"split-v1:{settings.chunk_tokens}:{settings.chunk_overlap}:{embedder_id}"


def _file_hash(path: str) -> bytes:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.digest()


# -- parse worker (runs in a child process) ------------------------------------------------------------

_worker_splitter: Splitter | None = None
_worker_max_bytes = 0


def _init_worker(settings: Settings) -> None:
    global _worker_splitter, _worker_max_bytes
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    counter = create_embedder(settings.model_copy(update={"embedding_threads": 1}))
    _worker_splitter = Splitter(
        count_tokens=counter.token_count, target_tokens=settings.chunk_tokens, overlap_tokens=settings.chunk_overlap
    )
    _worker_max_bytes = settings.max_file_bytes


def parse_file(path: str, splitter: Splitter, max_bytes: int) -> Parsed:
    t0 = time.perf_counter()
    doc = load_file(Path(path), max_bytes=max_bytes)
    t1 = time.perf_counter()
    out = splitter.run(doc)
    t2 = time.perf_counter()
    if not out.chunks:
        from sourcier.errors import EmptyFile

        raise EmptyFile("the file holds no text to index")
    return Parsed(
        title=doc.title,
        mime_type=doc.mime_type,
        language=detect_language(out.text),
        page_count=doc.page_count,
        body=out.text,
        chunks=out.chunks,
        parse_s=t1 - t0,
        split_s=t2 - t1,
    )


def _parse_in_worker(path: str) -> Parsed | str:
    assert _worker_splitter is not None
    try:
        return parse_file(path, _worker_splitter, _worker_max_bytes)
    except IngestError as exc:
        return str(exc)
    except Exception as exc:  # a parser bug must cost one file, not the batch
        log.exception("unexpected error parsing %s", path)
        return f"unexpected error while reading the file ({type(exc).__name__})"


# -- main process ----------------------------------------------------------------------------------------


def embed_with_cache(
    conn: Connection[Any], embedder: Embedder, texts: Sequence[str]
) -> tuple[npt.NDArray[np.float32], int]:
    """Vectors for `texts`, embedding only those the cache lacks; returns (vectors, newly embedded)."""
    hashes = [text_hash(t) for t in texts]
    known = cache_store.lookup(conn, embedder.model_id, list(set(hashes)))
    missing: dict[bytes, str] = {}
    for h, t in zip(hashes, texts, strict=True):
        if h not in known:
            missing.setdefault(h, t)
    if missing:
        vecs = embedder.embed_passages(list(missing.values()))
        cache_store.remember(conn, embedder.model_id, list(missing), vecs)
        known.update(zip(missing, vecs, strict=True))
    out = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    for i, h in enumerate(hashes):
        out[i] = known[h]
    return out, len(missing)


class FolderIndexer:
    """Brings the index of one folder (a filesystem source) in line with the files in it."""

    def __init__(
        self,
        *,
        settings: Settings,
        embedder: Embedder,
        on_event: Callable[[IndexEvent], None] = lambda e: None,
    ) -> None:
        self._settings = settings
        self._embedder = embedder
        self._emit = on_event
        self._fingerprint = chunking_fingerprint(settings, embedder.model_id)

    def run(self, conn: Connection[Any], folder: Path, *, source_name: str | None = None) -> IndexReport:
        started = time.perf_counter()
        folder = folder.resolve()
        report = IndexReport()
        source_id = doc_store.ensure_source(conn, source_name or folder.name, location=str(folder))
        files, problems = scan_folder(folder, wanted=lambda p: True)
        self._emit(IndexEvent("scanned", str(folder), len(files)))
        rules = AccessRules.load(folder, default=doc_store.default_acl(conn, source_id))
        for path, reason in problems + rules.problems:
            report.failed.append((path, reason))
        known = doc_store.states(conn, source_id)
        todo: list[tuple[SourceFile, doc_store.DocumentMeta]] = []
        for f in files:
            work = self._triage(conn, source_id, f, rules.acl_for(f.uri), known.get(f.uri), report)
            if work is not None:
                todo.append((f, work))
        # Parsed files wait here until they hold a batch of passages: one cache lookup and one embedding
        # call for many small files, then one transaction per document.
        batch: list[tuple[doc_store.DocumentMeta, Parsed]] = []
        for (_, meta), result in self._parse_all(todo):
            if isinstance(result, str):
                self._fail(conn, source_id, meta, result, report)
                continue
            batch.append((meta, result))
            if sum(len(p.chunks) for _, p in batch) >= self._settings.embedding_batch_size:
                self._store(conn, source_id, batch, report)
                batch = []
        self._store(conn, source_id, batch, report)
        with conn.transaction():
            report.deleted = doc_store.delete_missing(conn, source_id, [f.uri for f in files])
        report.seconds["wall"] = time.perf_counter() - started
        return report

    def _triage(
        self,
        conn: Connection[Any],
        source_id: int,
        f: SourceFile,
        acl: tuple[str, ...],
        state: doc_store.DocumentState | None,
        report: IndexReport,
    ) -> doc_store.DocumentMeta | None:
        """None when the file needs no parsing (unchanged, or failed before reading); else its metadata.

        An unchanged file whose access rules changed gets its new access list without re-embedding.
        """
        if state is not None and tuple(sorted(state.acl)) != acl:
            doc_store.set_acl(conn, state.id, acl)
            report.acl_updated.append(f.path)
        if (
            state is not None
            and state.size_bytes == f.size
            and state.modified_at == f.modified_at
            and (state.status == "failed" or state.chunking == self._fingerprint)
        ):
            if state.status == "indexed":
                report.unchanged.append(f.path)
            else:
                report.failed.append((f.path, "unchanged since it failed"))
            self._emit(IndexEvent("skipped", f.path))
            return None
        meta = doc_store.DocumentMeta(f.uri, f.path, f.size, f.modified_at, b"", acl)
        if not is_supported(Path(f.path)):
            suffix = Path(f.path).suffix or "(no extension)"
            self._fail(conn, source_id, meta, f"unsupported file type {suffix}", report)
            return None
        if f.size > self._settings.max_file_bytes:
            cap = self._settings.max_file_mb
            self._fail(conn, source_id, meta, f"file is {f.size / 2**20:.1f} MB, over the {cap:g} MB limit", report)
            return None
        try:
            digest = _file_hash(f.path)
        except OSError as exc:
            self._fail(conn, source_id, meta, f"cannot read file: {exc.strerror or exc}", report)
            return None
        meta = doc_store.DocumentMeta(f.uri, f.path, f.size, f.modified_at, digest, acl)
        if state is not None and state.content_hash == digest and state.chunking == self._fingerprint:
            doc_store.touch(conn, state.id, meta)
            report.unchanged.append(f.path)
            self._emit(IndexEvent("skipped", f.path))
            return None
        return meta

    def _parse_all(
        self, todo: list[tuple[SourceFile, doc_store.DocumentMeta]]
    ) -> Iterator[tuple[tuple[SourceFile, doc_store.DocumentMeta], Parsed | str]]:
        if not todo:
            return
        workers = self._settings.parse_workers or (os.cpu_count() or 1)
        if len(todo) < 8 or workers == 1:
            _init_worker(self._settings)
            for item in todo:
                result = _parse_in_worker(item[0].path)
                self._emit(IndexEvent("parsed", item[0].path))
                yield item, result
            return
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(self._settings,)) as pool:
            pending: dict[Future[Parsed | str], tuple[SourceFile, doc_store.DocumentMeta]] = {}
            queue = iter(todo)
            # Keep a bounded window in flight so memory stays flat on large folders.
            for item in queue:
                pending[pool.submit(_parse_in_worker, item[0].path)] = item
                if len(pending) >= workers * 4:
                    break
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    item = pending.pop(fut)
                    nxt = next(queue, None)
                    if nxt is not None:
                        pending[pool.submit(_parse_in_worker, nxt[0].path)] = nxt
                    self._emit(IndexEvent("parsed", item[0].path))
                    yield item, fut.result()

    def _fail(
        self, conn: Connection[Any], source_id: int, meta: doc_store.DocumentMeta, reason: str, report: IndexReport
    ) -> None:
        doc_store.record_failure(conn, source_id, meta, reason)
        report.failed.append((meta.path, reason))
        self._emit(IndexEvent("failed", meta.path, detail=reason))

    def _store(
        self,
        conn: Connection[Any],
        source_id: int,
        batch: list[tuple[doc_store.DocumentMeta, Parsed]],
        report: IndexReport,
    ) -> None:
        if not batch:
            return
        texts = [c.embedding_text for _, parsed in batch for c in parsed.chunks]
        t0 = time.perf_counter()
        vectors, fresh = embed_with_cache(conn, self._embedder, texts)
        report.seconds["embed"] += time.perf_counter() - t0
        report.embedded += fresh
        report.reused += len(texts) - fresh
        self._emit(IndexEvent("embedded", batch[-1][0].path, len(texts)))
        start = 0
        for meta, parsed in batch:
            n = len(parsed.chunks)
            self._store_document(conn, source_id, meta, parsed, vectors[start : start + n], report)
            start += n

    def _store_document(
        self,
        conn: Connection[Any],
        source_id: int,
        meta: doc_store.DocumentMeta,
        parsed: Parsed,
        vectors: npt.NDArray[np.float32],
        report: IndexReport,
    ) -> None:
        t0 = time.perf_counter()
        try:
            with conn.transaction():
                doc_id = doc_store.upsert_indexed(
                    conn,
                    source_id,
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
        except psycopg.DataError as exc:  # text PostgreSQL refuses (e.g. NUL bytes): this file only
            self._fail(conn, source_id, meta, f"could not store the text ({exc.diag.message_primary})", report)
            return
        report.seconds["parse"] += parsed.parse_s
        report.seconds["split"] += parsed.split_s
        report.seconds["store"] += time.perf_counter() - t0
        report.ingested.append(meta.path)
        report.chunks += len(parsed.chunks)
        self._emit(IndexEvent("stored", meta.path, len(parsed.chunks)))
