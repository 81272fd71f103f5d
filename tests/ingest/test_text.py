"""Plain text loader (sourcier/ingest/_text.py): the encodings French offices produce, binary data refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcier.errors import CorruptFile, EmptyFile
from tests.ingest.conftest import load, texts


def test_latin_1_text_keeps_its_accents(tmp_path: Path) -> None:
    path = tmp_path / "conges.txt"
    path.write_bytes("Les congés payés\n\nSont acquis chaque mois. Noël à la fête.".encode("latin-1"))
    doc = load(path)
    assert texts(doc) == ["Les congés payés", "Sont acquis chaque mois. Noël à la fête."]
    assert doc.blocks[0].heading_path == ("conges",)
    assert doc.mime_type == "text/plain"


def test_short_latin_1_text_is_not_mistaken_for_another_code_page(tmp_path: Path) -> None:
    path = tmp_path / "court.txt"
    path.write_bytes("été".encode("latin-1"))
    assert texts(load(path)) == ["été"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "utf-16-le"])
def test_unicode_text_with_or_without_bom(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "memo.text"
    path.write_bytes("Réunion du comité d'entreprise\r\n\r\nOrdre du jour : œuvres sociales".encode(encoding))
    assert texts(load(path)) == ["Réunion du comité d'entreprise", "Ordre du jour : œuvres sociales"]


def test_whitespace_only_text_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "blanc.txt"
    path.write_text(" \n\n\t \n", encoding="utf-8")
    with pytest.raises(EmptyFile):
        load(path)


def test_binary_data_in_a_text_file_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 20)
    with pytest.raises(CorruptFile, match="not text"):
        load(path)
