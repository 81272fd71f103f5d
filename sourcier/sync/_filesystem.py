"""The local (or mounted) filesystem as a source: a folder scan plus its `.sourcier-access.toml` rules."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sourcier.sync._access import DEFAULT_ACL, AccessRules
from sourcier.sync._connector import FetchedItem, FetchFailed, ItemRef, ListingProblem
from sourcier.sync._scan import scan_folder


def stat_version(size: int, modified_at: datetime) -> str:
    """The version hint of a file: equal size and modification time mean "not changed" without reading."""
    return f"{size}:{modified_at.isoformat()}"


class FilesystemConnector:
    """Lists the files of a folder (hidden files, VCS folders and symlinked folders skipped) with their ACL."""

    kind = "filesystem"

    def __init__(self, *, root: Path, default_acl: tuple[str, ...] = DEFAULT_ACL) -> None:
        self._root = root.expanduser().resolve()
        self._default = default_acl

    @property
    def root(self) -> Path:
        return self._root

    def list_items(self) -> Iterator[ItemRef | ListingProblem]:
        if not self._root.is_dir():
            yield ListingProblem(str(self._root), "the folder does not exist or is not a folder")
            return
        files, problems = scan_folder(self._root, wanted=lambda p: True)
        rules = AccessRules.load(self._root, default=self._default)
        for path, reason in problems + rules.problems:
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
        """The file itself (nothing copied); it must still be a regular file we can open."""
        path = Path(ref.path)
        try:
            st = path.stat()
            if not path.is_file():
                raise FetchFailed("not a regular file any more")
            with open(path, "rb"):
                pass
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
