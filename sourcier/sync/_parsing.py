"""Parsing fetched files: in this process for a small batch, in a process pool for a large one.

Parsing and splitting are CPU work in pure Python; the pool parses a large batch's files on several cores
at once, and the batch's passages are embedded once all of them are parsed. Starting worker processes
costs more than parsing a handful of files, so small batches stay here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

from sourcier.config import Settings
from sourcier.sync._indexer import Parsed, _init_worker, _parse_in_worker

_SMALL_BATCH = 8  # files: fewer are parsed in this process


class ParsePool:
    """Parses batches of files, yielding each file's Parsed or the reason it failed, in the order given.

    The pool starts with the first large batch and lives until `close`; in this process the splitter is loaded
    once, on the first small batch.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._pool: ProcessPoolExecutor | None = None
        self._local_ready = False

    def parse(self, paths: list[str]) -> Iterator[Parsed | str]:
        if not paths:
            return
        workers = self._settings.parse_workers or (os.cpu_count() or 1)
        if len(paths) < _SMALL_BATCH or workers == 1:
            if not self._local_ready:
                _init_worker(self._settings)
                self._local_ready = True
            for p in paths:
                yield _parse_in_worker(p)
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(self._settings,))
        yield from self._pool.map(_parse_in_worker, paths, chunksize=2)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
