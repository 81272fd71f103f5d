"""API fixtures: the real app on the session's PostgreSQL, a fake embedder, users signed in by token."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from psycopg import Connection

from sourcier.api import create_app
from sourcier.config import Settings
from sourcier.store import users
from sourcier.sync import FolderIndexer
from tests.conftest import FakeEmbedder

PASSWORD = "correct horse battery"


@dataclass
class Api:
    client: TestClient
    conn: Connection[Any]
    app: FastAPI

    def token(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {users.create_token(self.conn, name)}"}


@pytest.fixture
def api(settings: Settings, conn: Connection[Any], fake_embedder: FakeEmbedder) -> Iterator[Api]:
    app = create_app(settings, embedder=fake_embedder)
    with TestClient(app, base_url="http://testserver") as client:
        yield Api(client=client, conn=conn, app=app)


@pytest.fixture
def people(conn: Connection[Any]) -> None:
    """alice (plain, group rh), bob (plain), root (admin), all with PASSWORD."""
    users.create_user(conn, "alice", password=PASSWORD)
    users.create_user(conn, "bob", password=PASSWORD)
    users.create_user(conn, "root", password=PASSWORD, is_admin=True)
    users.create_group(conn, "rh")
    users.add_member(conn, "rh", "alice")


@pytest.fixture
def corpus(tmp_path: Path, settings: Settings, conn: Connection[Any], fake_embedder: FakeEmbedder) -> Path:
    """A public note and a confidential one for group rh only."""
    root = tmp_path / "docs"
    (root / "rh").mkdir(parents=True)
    (root / ".sourcier-access.toml").write_text('read = ["everyone"]\n')
    (root / "teletravail.md").write_text(
        "# Télétravail\n\nLe télétravail est possible deux jours par semaine, le lundi et le vendredi.\n"
    )
    (root / "rh" / ".sourcier-access.toml").write_text('read = ["group:rh"]\n')
    (root / "rh" / "salaires.md").write_text(
        "# Projet Zéphyrine\n\nLe budget confidentiel du projet Zéphyrine est de 4 321 987 euros.\n"
    )
    FolderIndexer(settings=settings, embedder=fake_embedder).run(conn, root, source_name="docs")
    return root
