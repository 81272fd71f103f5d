"""Finding files in a folder: the filesystem side of a source."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sourcier.types import SourceFile

_SKIP_DIRS = frozenset({".git", ".svn", ".hg", "__pycache__", "node_modules", ".venv"})


def scan_folder(root: Path, *, wanted: Callable[[Path], bool]) -> tuple[list[SourceFile], list[tuple[str, str]]]:
    """Files under `root` in a stable order, and (path, reason) for entries that could not be listed.

    Hidden files and version-control folders are skipped; symlinks to folders are not followed (loops).
    """
    found: list[SourceFile] = []
    problems: list[tuple[str, str]] = []

    def on_error(exc: OSError) -> None:
        problems.append((str(exc.filename or root), f"cannot list folder: {exc.strerror or exc}"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or name.startswith("~$"):
                continue
            path = Path(dirpath) / name
            try:
                st = path.stat()
            except OSError as exc:  # vanished between listing and stat, or a dangling link
                problems.append((str(path), f"cannot read file: {exc.strerror or exc}"))
                continue
            if not path.is_file():
                continue
            rel = path.relative_to(root).as_posix()
            if not wanted(path):
                continue
            found.append(
                SourceFile(
                    uri=rel,
                    path=str(path.resolve()),
                    size=st.st_size,
                    modified_at=datetime.fromtimestamp(st.st_mtime, tz=UTC),
                )
            )
    return found, problems
