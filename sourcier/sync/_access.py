"""Access rules of a filesystem source: `.sourcier-access.toml` files in its folders.

    # .sourcier-access.toml
    read = ["group:rh", "user:alice"]      # who may read the files of this folder and its subfolders

    [[files]]                              # exceptions, by file pattern (relative to this folder)
    pattern = "public/*.pdf"
    read = ["everyone"]

A folder's rule replaces its parent's (it does not add to it); a matching `[[files]]` entry replaces the
folder's rule for those files, the last matching entry winning. A file under no rule gets the source's
default, which is admins only unless configured otherwise: access fails closed.

Patterns read like gitignore's, with one difference that fails closed: a pattern without a `/` matches
names in the rule's own folder only, never in its subfolders (`*` and `?` never match a `/`; `**` as a
whole segment matches any number of folders). See `compile_pattern` and the README's table.

A rule file that is a symbolic link, or that is reached through one, is never read: its folder is then
restricted to admins and the problem reported, like a malformed file.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from sourcier.errors import ConfigError
from sourcier.sync._scan import open_inside
from sourcier.types import ADMIN_ROLE, PRINCIPAL_PATTERN

ACCESS_FILE = ".sourcier-access.toml"
DEFAULT_ACL: tuple[str, ...] = (ADMIN_ROLE,)


@dataclass(frozen=True, slots=True)
class _FolderRule:
    read: tuple[str, ...] | None
    files: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = ()


@dataclass(slots=True)
class AccessRules:
    """Resolves the access list of every file of a source from the rule files found in its folders."""

    default: tuple[str, ...] = DEFAULT_ACL
    folders: dict[str, _FolderRule] = field(default_factory=dict)  # folder (posix, relative) -> rule
    problems: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def load(cls, root: Path, *, default: tuple[str, ...] = DEFAULT_ACL) -> AccessRules:
        rules = cls(default=tuple(sorted(set(default))))
        for folder in _rule_folders(root):
            path = root / folder / ACCESS_FILE
            try:
                rules.folders[folder] = _parse(path, _read_inside(root, path))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ConfigError) as exc:
                # A broken rule file must not open its folder: its files fall back to... nobody but admins.
                rules.folders[folder] = _FolderRule(read=(ADMIN_ROLE,))
                why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
                rules.problems.append((str(path), f"access rules ignored, folder restricted to admins: {why}"))
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
                if pattern.fullmatch(inside):
                    acl = read
        return acl


def _rule_folders(root: Path) -> list[str]:
    """Folders (posix, relative, "" for the root) holding a rule file, in order, reached without links.

    A folder link is never entered (its files are not listed either); a rule file that is itself a
    link is still yielded, so that reading it fails and closes its folder.
    """
    found = []
    for dirpath, _dirnames, filenames in os.walk(root, followlinks=False):
        if ACCESS_FILE in filenames:
            rel = Path(dirpath).relative_to(root).as_posix()
            found.append("" if rel == "." else rel)
    return sorted(found)


def _read_inside(root: Path, path: Path) -> str:
    """The rule file's text, opened with no link followed on the way (see `open_inside`)."""
    with os.fdopen(open_inside(root, path), "rb") as f:
        return f.read().decode("utf-8")


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """The regex of a `[[files]]` pattern, matched against the whole path relative to the rule's folder.

    `*` is any run of characters but `/`, `?` one character but `/`, `[abc]`, `[a-z]`, `[!abc]` a class
    (never matching `/`), `\\x` the character x; a `**` segment (`**/x`, `a/**/b`, `a/**`) is zero or
    more folders; a leading `/` changes nothing (patterns are anchored to the rule's folder anyway);
    a trailing `/` means everything under that folder. Matching is case-sensitive. A pattern this does
    not understand raises ConfigError: guessing would be guessing who may read.
    """
    body = pattern.lstrip("/")
    under = body.endswith("/")
    segments = body.rstrip("/").split("/") if body.rstrip("/") else []
    if not segments or any(not s for s in segments):
        raise ConfigError(f"pattern {pattern!r}: empty, or with an empty folder name (//)")
    regex = "".join(_translate_segment(s, pattern, last=i == len(segments) - 1) for i, s in enumerate(segments))
    return re.compile("(?s:" + regex + ("/.+" if under else "") + ")")


def _translate_segment(segment: str, pattern: str, *, last: bool) -> str:
    if segment == "**":
        return ".+" if last else "(?:[^/]+/)*"
    out: list[str] = []
    i = 0
    while i < len(segment):
        c = segment[i]
        if c == "*":
            while i < len(segment) and segment[i] == "*":  # `**` inside a name is a plain `*`
                i += 1
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            cls, i = _translate_class(segment, i, pattern)
            out.append(cls)
        else:
            literal, i = _char(segment, i, pattern)
            out.append(re.escape(literal))
    return "".join(out) + ("" if last else "/")


def _translate_class(segment: str, start: int, pattern: str) -> tuple[str, int]:
    """`[...]` from `start` (its `[`): the regex class and the index after its `]`."""
    i = start + 1
    negated = i < len(segment) and segment[i] in "!^"
    i += 1 if negated else 0
    members: list[str] = []
    first = True
    while i < len(segment) and (segment[i] != "]" or first):
        if segment.startswith("[:", i):
            raise ConfigError(f"pattern {pattern!r}: [:name:] classes are not supported", hint="list them: [a-z]")
        low, i = _char(segment, i, pattern)
        if i + 1 < len(segment) and segment[i] == "-" and segment[i + 1] != "]":
            high, i = _char(segment, i + 1, pattern)
            if low > high:
                raise ConfigError(f"pattern {pattern!r}: the range {low}-{high} is backwards")
            members.append(f"{re.escape(low)}-{re.escape(high)}")
        else:
            members.append(re.escape(low))
        first = False
    if i >= len(segment):
        raise ConfigError(f"pattern {pattern!r}: a [ is never closed", hint="write \\[ for a literal [")
    body = "".join(members)
    return ("[^/" + body + "]" if negated else "(?!/)[" + body + "]"), i + 1


def _char(segment: str, i: int, pattern: str) -> tuple[str, int]:
    """The character at `i`, `\\x` standing for x: the character and the index after it."""
    if segment[i] == "\\":
        if i + 1 == len(segment):
            raise ConfigError(f"pattern {pattern!r}: a \\ must be followed by the character it escapes")
        return segment[i + 1], i + 2
    return segment[i], i + 1


def _principals(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: 'read' must be a list of principals")
    bad = [v for v in value if not PRINCIPAL_PATTERN.match(v)]
    if bad:
        raise ConfigError(f"{where}: not principals: {bad}", hint="use everyone, user:NAME or group:NAME")
    return tuple(sorted(set(value)))


def _parse(path: Path, text: str) -> _FolderRule:
    data = tomllib.loads(text)
    read = _principals(data["read"], str(path)) if "read" in data else None
    files = []
    for entry in data.get("files", []):
        if not isinstance(entry, dict) or not isinstance(entry.get("pattern"), str) or "read" not in entry:
            raise ConfigError(f"{path}: each [[files]] entry needs a pattern and a read list")
        try:
            compiled = compile_pattern(entry["pattern"])
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc.message}", hint=exc.hint) from None
        files.append((compiled, _principals(entry["read"], str(path))))
    return _FolderRule(read=read, files=tuple(files))
