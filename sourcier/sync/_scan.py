"""Finding files in a folder, and opening them: the filesystem side of a source.

Symbolic links are never followed, neither to files nor to folders, inside the folder or out of it: a
link's access rules are those of where it sits, its content that of where it points, so following one
would let a public folder hand out a confidential file. Each link is reported instead, so that an admin
sees it and can put a real copy where it belongs.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sourcier.types import SourceFile

_SKIP_DIRS = frozenset({".git", ".svn", ".hg", "__pycache__", "node_modules", ".venv"})

SYMLINK = "a symbolic link, not followed"
LINK_TO_FILE = f"cannot read file: {SYMLINK}"
LINK_TO_FOLDER = f"cannot list folder: {SYMLINK}"
OUTSIDE = "outside the source's folder"
NOT_REGULAR = "not a regular file"


def scan_folder(root: Path, *, wanted: Callable[[Path], bool]) -> tuple[list[SourceFile], list[tuple[str, str]]]:
    """Files under `root` in a stable order, and (path, reason) for entries that could not be listed.

    Hidden files and version-control folders are skipped silently; symbolic links are skipped and
    reported, whatever they point at (a file, a folder, nothing, themselves).
    """
    found: list[SourceFile] = []
    problems: list[tuple[str, str]] = []
    pending = [root]
    while pending:
        folder = pending.pop()
        subfolders: list[Path] = []
        for entry in _entries(folder, problems):
            path = Path(entry.path)
            if entry.is_symlink():
                if not _hidden_folder(entry.name) and not _hidden_file(entry.name):
                    problems.append((str(path), _symlink_reason(entry)))
            elif entry.is_dir(follow_symlinks=False):
                if not _hidden_folder(entry.name):
                    subfolders.append(path)
            elif not _hidden_file(entry.name):
                item = _listed(root, path, wanted, problems)
                if item is not None:
                    found.append(item)
        pending.extend(reversed(subfolders))  # depth first, in name order, as os.walk went
    return found, problems


def _entries(folder: Path, problems: list[tuple[str, str]]) -> list[os.DirEntry[str]]:
    """The entries of one folder by name; an unreadable folder is a problem, not an exception."""
    try:
        with os.scandir(folder) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError as exc:
        problems.append((str(exc.filename or folder), f"cannot list folder: {exc.strerror or exc}"))
        return []


def _hidden_folder(name: str) -> bool:
    return name in _SKIP_DIRS or name.startswith(".")


def _hidden_file(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$")  # ~$ : the lock files of office suites


def _symlink_reason(entry: os.DirEntry[str]) -> str:
    """The target is looked at only to word the reason (folder or file); it is never read nor listed."""
    try:
        to_folder = entry.is_dir(follow_symlinks=True)
    except OSError:
        to_folder = False
    return LINK_TO_FOLDER if to_folder else LINK_TO_FILE


def _listed(
    root: Path, path: Path, wanted: Callable[[Path], bool], problems: list[tuple[str, str]]
) -> SourceFile | None:
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError as exc:  # vanished between listing and stat
        problems.append((str(path), f"cannot read file: {exc.strerror or exc}"))
        return None
    if not stat.S_ISREG(st.st_mode) or not wanted(path):
        return None
    return SourceFile(
        uri=path.relative_to(root).as_posix(),
        path=str(path.resolve()),
        size=st.st_size,
        modified_at=datetime.fromtimestamp(st.st_mtime, tz=UTC),
    )


def open_inside(root: Path, path: Path) -> int:
    """A read-only descriptor on the regular file `path`, which must lie under `root` (itself resolved).

    The path is walked one folder at a time from `root`, each step opened relative to the last one with
    O_NOFOLLOW: a link anywhere on the way, even one that replaced a folder or the file after the listing,
    raises OSError rather than opening what it points at. A FIFO or a device is refused before opening
    (opening a FIFO would block).
    """
    parts = _parts_under(root, path)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in parts[:-1]:
            _refuse_link(name, fd, path)
            step = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = step
        last = parts[-1]
        if not stat.S_ISREG(_refuse_link(last, fd, path).st_mode):
            raise OSError(errno.EINVAL, NOT_REGULAR, str(path))
        return _open_final(last, fd, path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError(errno.ELOOP, SYMLINK, str(path)) from exc
        raise
    finally:
        os.close(fd)


def _parts_under(root: Path, path: Path) -> tuple[str, ...]:
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        raise OSError(errno.EACCES, OUTSIDE, str(path)) from None
    if not parts or any(p in ("..", ".") for p in parts):
        raise OSError(errno.EACCES, OUTSIDE, str(path))
    return parts


def _refuse_link(name: str, dir_fd: int, path: Path) -> os.stat_result:
    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    if stat.S_ISLNK(st.st_mode):
        raise OSError(errno.ELOOP, SYMLINK, str(path))
    return st


def _open_final(name: str, dir_fd: int, path: Path) -> int:
    """Opened without following a link nor blocking; checked again once open (it may have been swapped)."""
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, NOT_REGULAR, str(path))
    return fd


def is_plain_file_inside(root: Path, path: Path) -> bool:
    """Whether `path` is a regular file under `root` reached through no symbolic link (see `open_inside`)."""
    try:
        os.close(open_inside(root, path))
    except OSError:
        return False
    return True
