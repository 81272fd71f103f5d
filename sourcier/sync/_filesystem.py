"""The local (or mounted) filesystem as a source: a folder scan plus its `.sourcier-access.toml` rules."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sourcier.sync._access import DEFAULT_ACL, AccessRules
from sourcier.sync._connector import FetchedItem, FetchFailed, ItemRef, ListingProblem, NothingListed, RefusedItem
from sourcier.sync._scan import LINK_TO_FILE, LINK_TO_FOLDER, open_inside, scan_folder

MISSING_FOLDER = "the folder does not exist or is not a folder"


def stat_version(size: int, modified_at: datetime) -> str:
    """The version hint of a file: equal size and modification time mean "not changed" without reading."""
    return f"{size}:{modified_at.isoformat()}"


class FilesystemConnector:
    """Lists the files of a folder (hidden files, VCS folders and symbolic links skipped) with their ACL.

    The folder given is resolved once (it may itself be a link, chosen by an admin); no link inside it is
    ever followed, at listing or at reading.
    """

    kind = "filesystem"

    def __init__(self, *, root: Path, default_acl: tuple[str, ...] = DEFAULT_ACL) -> None:
        self._root = root.expanduser().resolve()
        self._default = default_acl

    @property
    def root(self) -> Path:
        return self._root

    def list_items(self) -> Iterator[ItemRef | ListingProblem]:
        if not self._root.is_dir():
            yield NothingListed(str(self._root), MISSING_FOLDER)
            return
        files, problems = scan_folder(self._root, wanted=lambda p: True)
        unreadable = [reason for path, reason in problems if Path(path) == self._root]
        if unreadable:
            yield NothingListed(str(self._root), unreadable[0])
            return
        rules = AccessRules.load(self._root, default=self._default)
        for path, reason in problems:
            kind = RefusedItem if reason in (LINK_TO_FILE, LINK_TO_FOLDER) else ListingProblem
            yield kind(_relative(self._root, path), reason)
        for path, reason in rules.problems:
            yield ListingProblem(_relative(self._root, path), reason)
        for f in files:
            yield ItemRef(
                uri=f.uri,
                path=f.path,
                version=stat_version(f.size, f.modified_at),
                size=f.size,
                modified_at=f.modified_at,
                acl=rules.acl_for(f.uri),
            )

    def fetch(self, ref: ItemRef, *, known_version: str | None, scratch: Path) -> FetchedItem:
        """The file itself (nothing copied); it must still be a regular file under the folder, reached
        through no symbolic link: a link that replaced it (or a folder above it) since the listing is refused.
        """
        path = Path(ref.path)
        try:
            fd = open_inside(self._root, path)
            try:
                st = os.fstat(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise FetchFailed(f"cannot read file: {exc.strerror or exc}") from exc
        modified = datetime.fromtimestamp(st.st_mtime, tz=UTC)  # as the scan computes it
        return FetchedItem(ref=ref, local_path=path, version=stat_version(st.st_size, modified))

    def close(self) -> None:
        return None


def _relative(root: Path, path: str) -> str:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return path
