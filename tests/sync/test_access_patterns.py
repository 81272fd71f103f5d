"""`[[files]]` patterns of `.sourcier-access.toml`: gitignore-like, except that a pattern without `/` matches
in its own folder only (a subfolder never becomes readable by a name pattern meant for files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from psycopg import Connection

from sourcier.config import Settings
from sourcier.errors import ConfigError
from sourcier.sync import FolderIndexer
from sourcier.sync._access import ACCESS_FILE, AccessRules, compile_pattern
from tests.conftest import FakeEmbedder

CASES = [
    # pattern, path relative to the rule's folder, matches
    ("public-*", "public-guide.md", True),
    ("public-*", "public-archives/x.md", False),  # the fix: `*` never crosses a `/`
    ("public-*", "sub/public-guide.md", False),  # nor does a slash-less pattern reach subfolders
    ("*.pdf", "a.pdf", True),
    ("*.pdf", "docs/a.pdf", False),
    ("public/*.pdf", "public/a.pdf", True),
    ("public/*.pdf", "public/old/a.pdf", False),
    ("?.md", "a.md", True),
    ("?.md", "ab.md", False),
    ("a?b", "a/b", False),
    ("[abc].md", "b.md", True),
    ("[abc].md", "d.md", False),
    ("[a-c]x", "bx", True),
    ("[!a-c]x", "dx", True),
    ("[!a-c]x", "ax", False),
    ("[^a]x", "bx", True),
    ("x[!a]y", "x/y", False),  # a negated class never matches `/`
    ("[]]", "]", True),
    ("\\*.md", "*.md", True),
    ("\\*.md", "a.md", False),
    ("**/x.md", "x.md", True),
    ("**/x.md", "a/b/x.md", True),
    ("**/x.md", "a/y.md", False),
    ("a/**/b.md", "a/b.md", True),
    ("a/**/b.md", "a/x/y/b.md", True),
    ("a/**/b.md", "c/a/b.md", False),
    ("a/**", "a/x.md", True),
    ("a/**", "a/x/y.md", True),
    ("a/**", "a", False),
    ("**", "any/thing.md", True),
    ("a**b", "axxb", True),  # `**` inside a name is a plain `*`
    ("a**b", "a/b", False),
    ("Public-*", "public-guide.md", False),  # case-sensitive
    ("public-*", "PUBLIC-guide.md", False),
    ("archives/", "archives/x.md", True),  # trailing `/`: everything under that folder
    ("archives/", "archives/2023/x.md", True),
    ("archives/", "archives", False),
    ("archives/", "old/archives/x.md", False),
    ("/x.md", "x.md", True),  # leading `/`: anchored to the rule's folder anyway
    ("/x.md", "sub/x.md", False),
    ("a.md", "a.md", True),
    ("a.md", "aXmd", False),  # `.` is literal
    ("(a)+.md", "(a)+.md", True),  # regex characters are literal
    ("(a)+.md", "aa.md", False),
]


@pytest.mark.parametrize(("pattern", "path", "expected"), CASES)
def test_pattern_table(pattern: str, path: str, expected: bool) -> None:
    assert (compile_pattern(pattern).fullmatch(path) is not None) is expected


@pytest.mark.parametrize("bad", ["[abc", "x[!", "[a/b]", "[z-a]", "[[:alpha:]]", "", "/", "a//b", "x\\"])
def test_invalid_patterns_raise_config_error(bad: str) -> None:
    with pytest.raises(ConfigError):
        compile_pattern(bad)


def test_an_invalid_pattern_closes_its_folder_to_admins_and_is_reported(tmp_path: Path) -> None:
    (tmp_path / ACCESS_FILE).write_text('read = ["everyone"]\n')
    (tmp_path / "rh").mkdir()
    (tmp_path / "rh" / ACCESS_FILE).write_text(
        'read = ["group:rh"]\n[[files]]\npattern = "[public"\nread = ["everyone"]\n'
    )
    rules = AccessRules.load(tmp_path)
    assert rules.acl_for("rh/contrat.md") == ("role:admin",)
    assert rules.acl_for("note.md") == ("everyone",)
    [(where, reason)] = rules.problems
    assert where.endswith(f"rh/{ACCESS_FILE}") and "never closed" in reason and "restricted to admins" in reason


def test_a_name_pattern_does_not_open_a_subfolder(
    conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder, tmp_path: Path
) -> None:
    root = tmp_path / "docs"
    (root / "rh" / "public-archives").mkdir(parents=True)
    (root / ACCESS_FILE).write_text('read = ["everyone"]\n')
    (root / "rh" / ACCESS_FILE).write_text(
        'read = ["group:rh"]\n[[files]]\npattern = "public-*"\nread = ["everyone", "group:rh"]\n'
    )
    (root / "rh" / "public-guide.md").write_text("# Guide\n\nLe guide public des congés.\n")
    (root / "rh" / "public-archives" / "x.md").write_text("# Archives\n\nLes licenciements de 2019.\n")
    FolderIndexer(settings=settings, embedder=fake_embedder).run(conn, root)
    acls = dict(conn.execute("SELECT uri, acl FROM documents").fetchall())
    assert acls == {"rh/public-guide.md": ["everyone", "group:rh"], "rh/public-archives/x.md": ["group:rh"]}
    chunk_acls = conn.execute(
        "SELECT DISTINCT c.acl FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.uri LIKE %s",
        ("%public-archives%",),
    ).fetchall()
    assert chunk_acls == [(["group:rh"],)]
