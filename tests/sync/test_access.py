from pathlib import Path
from typing import Any

import pytest
from psycopg import Connection

from sourcier.config import Settings
from sourcier.sync import FolderIndexer
from sourcier.sync._access import ACCESS_FILE, AccessRules
from tests.conftest import FakeEmbedder


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return root


def test_rules_are_inherited_overridden_by_subfolders_and_by_file_patterns(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        ACCESS_FILE: 'read = ["everyone"]\n',
        f"rh/{ACCESS_FILE}": 'read = ["group:rh"]\n[[files]]\npattern = "public-*"\nread = ["everyone", "group:rh"]\n',
        f"rh/paie/{ACCESS_FILE}": 'read = ["user:alice"]\n',
    })  # fmt: skip
    rules = AccessRules.load(root)
    assert rules.acl_for("note.md") == ("everyone",)
    assert rules.acl_for("rh/contrat.md") == ("group:rh",)
    assert rules.acl_for("rh/public-guide.md") == ("everyone", "group:rh")
    assert rules.acl_for("rh/sub/deep.md") == ("group:rh",)
    assert rules.acl_for("rh/paie/bulletin.pdf") == ("user:alice",)


def test_no_rule_means_admins_only(tmp_path: Path) -> None:
    assert AccessRules.load(tmp_path).acl_for("a/b.md") == ("role:admin",)


def test_a_broken_rule_file_closes_its_folder_and_is_reported(tmp_path: Path) -> None:
    root = _tree(tmp_path, {ACCESS_FILE: 'read = ["everyone"]\n', f"x/{ACCESS_FILE}": 'read = ["tout le monde"]\n'})
    rules = AccessRules.load(root)
    assert rules.acl_for("x/secret.md") == ("role:admin",)
    assert rules.acl_for("ok.md") == ("everyone",)
    assert rules.problems and "not principals" in rules.problems[0][1]


def test_changed_rules_update_access_lists_without_reembedding(
    conn: Connection[Any], settings: Settings, fake_embedder: FakeEmbedder, tmp_path: Path
) -> None:
    root = _tree(tmp_path / "docs", {ACCESS_FILE: 'read = ["group:rh"]\n', "a.md": "# A\n\nTexte confidentiel.\n"})
    FolderIndexer(settings=settings, embedder=fake_embedder).run(conn, root)
    assert conn.execute("SELECT DISTINCT acl FROM chunks").fetchall() == [(["group:rh"],)]
    calls = fake_embedder.calls
    (root / ACCESS_FILE).write_text('read = ["everyone"]\n', "utf-8")
    report = FolderIndexer(settings=settings, embedder=fake_embedder).run(conn, root)
    assert [Path(p).name for p in report.acl_updated] == ["a.md"] and report.ingested == []
    assert fake_embedder.calls == calls
    assert conn.execute("SELECT DISTINCT acl FROM chunks").fetchall() == [(["everyone"],)]
    assert conn.execute("SELECT acl FROM documents").fetchall() == [(["everyone"],)]


@pytest.mark.parametrize("bad", ['read = "everyone"', 'read = ["group:RH"]', '[[files]]\nread = ["everyone"]'])
def test_malformed_rules_are_refused(tmp_path: Path, bad: str) -> None:
    (tmp_path / ACCESS_FILE).write_text(bad + "\n", "utf-8")
    rules = AccessRules.load(tmp_path)
    assert rules.acl_for("f.md") == ("role:admin",) and rules.problems
