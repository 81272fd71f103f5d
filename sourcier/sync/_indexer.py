"""What the steps of a sync share: progress events and the report, the chunking fingerprint, a file's
hash, parsing one file (in this process or in a parse worker's) and embedding through the cache.

Parsing and splitting are CPU work in pure Python, so a large batch is parsed in a process pool
(`_parsing.ParsePool`), several files at once. Vectors are looked up in the embedding cache first:
unchanged passage texts are never embedded again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from psycopg import Connection

from sourcier.config import Settings
from sourcier.embed import Embedder, create_embedder, text_hash, token_counter_id
from sourcier.errors import IngestError
from sourcier.ingest import Splitter, detect_language, load_file
from sourcier.store import embeddings as cache_store
from sourcier.types import Chunk

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
    # Seconds per stage. Parse and split are summed over files, several of which a large batch parses at
    # once in worker processes (so they may add up to more than wall, the whole run).
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


SPLITTER_VERSION = "split-v1"  # bump when the splitting rules change: every document is re-cut on its next sync


def chunking_fingerprint(settings: Settings) -> str:
    """Changes when passages would be cut differently (splitter version, sizes, token counter), so that
    the next sync re-cuts those documents; re-cut passages whose text is unchanged reuse their vectors.

    The embedding model is not part of it: a model change re-embeds the same passages (`Reindexer`).
    """
    counter = token_counter_id(settings)
    return f"{SPLITTER_VERSION}:{settings.chunk_tokens}:{settings.chunk_overlap}:{counter}"


def _file_hash(path: str) -> bytes:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.digest()


# -- parse worker (runs in a child process) ------------------------------------------------------------

_worker_splitter: Splitter | None = None
_worker_max_bytes = 0


_worker_key: tuple[object, ...] | None = None


def _init_worker(settings: Settings) -> None:
    """Load the token counter once per process and per splitter settings (it costs a tokenizer load)."""
    global _worker_splitter, _worker_max_bytes, _worker_key
    key = (settings.embedding_backend, settings.embedding_model, settings.chunk_tokens, settings.chunk_overlap)
    _worker_max_bytes = settings.max_file_bytes
    if key == _worker_key:
        return
    _worker_key = key
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    counter = create_embedder(settings.model_copy(update={"embedding_threads": 1}))
    _worker_splitter = Splitter(
        count_tokens=counter.token_count, target_tokens=settings.chunk_tokens, overlap_tokens=settings.chunk_overlap
    )


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
