"""What every command shares: settings read when first needed, one database session, one error report."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sourcier.cli import CliContext, Wiring, app
from sourcier.cli._errors import error_label
from sourcier.config import Settings
from sourcier.errors import NotFound, SqlRefused
from tests.cli.conftest import Run


def _broken_settings() -> Settings:
    return Settings(chunk_tokens=100, chunk_overlap=100)


def test_a_sourcier_error_is_one_line_on_stderr_and_exit_1(run: Run) -> None:
    result = run("source", "remove", "nope")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip() == "error: no source named 'nope' (see `sourcier source list`)"


def test_refused_sql_keeps_its_label() -> None:
    assert error_label(SqlRefused("Only SELECT queries are allowed.")) == "refused"
    assert error_label(NotFound("no source named 'x'")) == "error"


def test_bad_settings_exit_2_but_help_still_works() -> None:
    runner, wiring = CliRunner(), Wiring(settings=_broken_settings)
    broken = runner.invoke(app, ["status"], obj=wiring)
    assert broken.exit_code == 2 and broken.stderr.startswith("configuration error:"), broken.output
    assert runner.invoke(app, ["status", "--help"], obj=wiring).exit_code == 0


def test_the_session_is_opened_once_and_closed_with_the_command(pg: str, tmp_path: Path) -> None:
    cli = CliContext(Wiring(settings=lambda: Settings(home=tmp_path, database_url=pg)))  # type: ignore[arg-type]
    conn = cli.conn
    assert cli.conn is conn and cli.conninfo == pg
    cli.close()
    assert conn.closed


def test_settings_come_from_env_then_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sourcier.toml").write_text('top_k = 7\nchunk_tokens = 200\nfusion = "rrf"\n', "utf-8")
    monkeypatch.setenv("SOURCIER_TOP_K", "3")
    s = Settings()
    assert (s.top_k, s.chunk_tokens, s.fusion) == (3, 200, "rrf")
    with pytest.raises(ValueError):
        Settings(chunk_tokens=100, chunk_overlap=100)
