"""The loaders' entry point (sourcier/ingest/_load.py): dispatch by suffix, the size cap before reading,
and every failure turned into an IngestError."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from sourcier.errors import CorruptFile, FileTooLarge, IngestError, UnsupportedFile
from sourcier.ingest._load import SUPPORTED_SUFFIXES, is_supported, load_file
from tests.ingest.conftest import load


def test_file_over_the_cap_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "gros.pdf"
    path.write_bytes(b"x" * (3 * 1024 * 1024))  # not even a PDF: the size check comes first
    with pytest.raises(FileTooLarge, match=r"is 3 MB, over the 2 MB limit") as caught:
        load_file(path, max_bytes=2 * 1024 * 1024)
    assert caught.value.hint == "raise SOURCIER_MAX_FILE_MB"


def test_unknown_suffix_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "archive.xyz"
    path.write_bytes(b"data")
    with pytest.raises(UnsupportedFile, match=r"\.xyz"):
        load(path)


def test_unreadable_path_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "dossier.txt"
    path.mkdir()
    with pytest.raises(CorruptFile, match="cannot read file"):
        load(path)


@pytest.mark.parametrize("suffix", sorted(SUPPORTED_SUFFIXES))
def test_garbage_never_escapes_as_a_library_error(tmp_path: Path, suffix: str) -> None:
    rng = random.Random(suffix)
    path = tmp_path / f"garbage{suffix}"
    path.write_bytes(b"\x00" + bytes(rng.randrange(256) for _ in range(4096)))
    with pytest.raises(IngestError):
        load(path)


def test_suffix_matching_ignores_case_and_skips_office_lock_files() -> None:
    assert is_supported(Path("Rapport.PDF"))
    assert is_supported(Path("notes.Markdown"))
    assert not is_supported(Path("~$rapport.docx"))
    assert not is_supported(Path("setup.exe"))
