"""Access rules of a filesystem source: `.sourcier-access.toml` files in its folders.

    # .sourcier-access.toml
    read = ["group:rh", "user:alice"]      # who may read the files of this folder and its subfolders

    [[files]]                              # exceptions, by file pattern (relative to this folder)
    pattern = "public/*.pdf"
    read = ["everyone"]

A folder's rule replaces its parent's (it does not add to it); a matching `[[files]]` entry replaces the
folder's rule for those files, the last matching entry winning. A file under no rule gets the source's
default, which is admins only unless configured otherwise: access fails closed.
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from sourcier.errors import ConfigError
from sourcier.types import ADMIN_ROLE, PRINCIPAL_PATTERN

ACCESS_FILE = ".sourcier-access.toml"
DEFAULT_ACL: tuple[str, ...] = (ADMIN_ROLE,)


@dataclass(frozen=True, slots=True)
class _FolderRule:
    read: tuple[str, ...] | None
    files: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(slots=True)
class AccessRules:
    """Resolves the access list of every file of a source from the rule files found in its folders."""

    default: tuple[str, ...] = DEFAULT_ACL
    folders: dict[str, _FolderRule] = field(default_factory=dict)  # folder (posix, relative) -> rule
    problems: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def load(cls, root: Path, *, default: tuple[str, ...] = DEFAULT_ACL) -> AccessRules:
        rules = cls(default=tuple(sorted(set(default))))
        for path in sorted(root.rglob(ACCESS_FILE)):
            rel = path.parent.relative_to(root).as_posix()
            try:
                rules.folders["" if rel == "." else rel] = _parse(path)
            except (OSError, tomllib.TOMLDecodeError, ConfigError) as exc:
                # A broken rule file must not open its folder: its files fall back to... nobody but admins.
                rules.folders["" if rel == "." else rel] = _FolderRule(read=(ADMIN_ROLE,))
                rules.problems.append((str(path), f"access rules ignored, folder restricted to admins: {exc}"))
        return rules

    def acl_for(self, relative_path: str) -> tuple[str, ...]:
        path = PurePosixPath(relative_path)
        acl = self.default
        folders = [""] + [p.as_posix() for p in reversed(path.parents) if p.as_posix() != "."]
        for folder in folders:
            rule = self.folders.get(folder)
            if rule is None:
                continue
            if rule.read is not None:
                acl = rule.read
            inside = path.relative_to(folder).as_posix() if folder else path.as_posix()
            for pattern, read in rule.files:
                if fnmatch.fnmatchcase(inside, pattern):
                    acl = read
        return acl


def _principals(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: 'read' must be a list of principals")
    bad = [v for v in value if not PRINCIPAL_PATTERN.match(v)]
    if bad:
        raise ConfigError(f"{where}: not principals: {bad}", hint="use everyone, user:NAME or group:NAME")
    return tuple(sorted(set(value)))


def _parse(path: Path) -> _FolderRule:
    data = tomllib.loads(path.read_text("utf-8"))
    read = _principals(data["read"], str(path)) if "read" in data else None
    files = []
    for entry in data.get("files", []):
        if not isinstance(entry, dict) or not isinstance(entry.get("pattern"), str) or "read" not in entry:
            raise ConfigError(f"{path}: each [[files]] entry needs a pattern and a read list")
        files.append((entry["pattern"], _principals(entry["read"], str(path))))
    return _FolderRule(read=read, files=tuple(files))
