"""The OpenAI-compatible client and its fallbacks against a scripted server on 127.0.0.1 (no network)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from sourcier.config import LLMEndpoint, Settings
from sourcier.errors import LLMError, LLMStreamCut, LLMTimeout, NoModelAnswered
from sourcier.llm import ChatMessage, FallbackChatModel, OpenAIChatModel, create_chat_model
from tests.llm.scripted import Cut, Reply, ScriptedServer, Stall, Status

MESSAGES = [ChatMessage("system", "Réponds brièvement."), ChatMessage("user", "Combien de jours ?")]


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


def model(server: ScriptedServer, **kw: object) -> OpenAIChatModel:
    options: dict[str, object] = {"timeout_s": 5.0, "first_token_s": 2.0} | kw
    return OpenAIChatModel(base_url=server.base_url, model="scripted", **options)  # type: ignore[arg-type]


def test_tokens_stream_as_they_come_then_a_final_record(server: ScriptedServer) -> None:
    server.steps.append(Reply(["Deux ", "jours ", "[1]."], pause_s=0.2))
    stream = model(server, api_key=SecretStr("sk-secret"), stop=["\n"], max_tokens=50).stream(MESSAGES)
    arrivals = []
    t0 = time.perf_counter()
    for delta in stream:
        arrivals.append((delta.text, time.perf_counter() - t0))
    assert [t for t, _ in arrivals] == ["Deux ", "jours ", "[1]."]
    assert arrivals[-1][1] - arrivals[0][1] >= 0.35  # delivered one by one, not buffered to the end
    done = stream.result
    assert (done.text, done.finish_reason) == ("Deux jours [1].", "stop")
    (attempt,) = done.attempts
    assert attempt.ok and attempt.first_token_ms is not None and attempt.total_ms >= attempt.first_token_ms
    sent = server.requests[0]
    assert sent.body["stream"] is True and sent.body["model"] == "scripted" and sent.body["stop"] == ["\n"]
    assert sent.body["max_tokens"] == 50
    assert sent.body["messages"] == [{"role": "system", "content": "Réponds brièvement."},
                                     {"role": "user", "content": "Combien de jours ?"}]  # fmt: skip
    assert sent.headers["authorization"] == "Bearer sk-secret"


def test_reading_a_stream_before_its_end_gives_no_result(server: ScriptedServer) -> None:
    server.steps.append(Reply(["a", "b"]))
    stream = model(server).stream(MESSAGES)
    with pytest.raises(Exception, match="iterate over it first"):
        _ = stream.result
    assert stream.read().text == "ab"


def test_http_500_is_a_typed_error(server: ScriptedServer) -> None:
    server.steps.append(Status(500))
    with pytest.raises(LLMError, match="HTTP 500"):
        model(server).stream(MESSAGES).read()


def test_a_stream_cut_in_the_middle_is_not_an_answer(server: ScriptedServer) -> None:
    server.steps.append(Cut(["Le télétravail ", "est limité"]))
    stream = model(server).stream(MESSAGES)
    seen = []
    with pytest.raises(LLMStreamCut):
        for delta in stream:
            seen.append(delta.text)
    assert seen == ["Le télétravail ", "est limité"]


def test_no_first_token_in_time_is_a_timeout(server: ScriptedServer) -> None:
    server.steps.append(Stall(3.0))
    t0 = time.perf_counter()
    with pytest.raises(LLMTimeout, match="first token"):
        model(server, first_token_s=0.5).stream(MESSAGES).read()
    assert time.perf_counter() - t0 < 2.0


def test_an_answer_longer_than_its_timeout_is_cut_short(server: ScriptedServer) -> None:
    server.steps.append(Reply(["mot "] * 50, pause_s=0.05))
    t0 = time.perf_counter()
    with pytest.raises(LLMTimeout, match="took over"):
        model(server, timeout_s=0.5, first_token_s=0.5).stream(MESSAGES).read()
    assert time.perf_counter() - t0 < 1.5


def test_an_unreachable_server_is_a_typed_error() -> None:
    with pytest.raises(LLMError, match="could not connect"):
        OpenAIChatModel(base_url="http://127.0.0.1:9/v1", model="none").stream(MESSAGES).read()


def test_fallbacks_are_tried_in_order_after_500_timeout_and_cut_and_the_record_says_so() -> None:
    with ScriptedServer([Status(500)]) as a, ScriptedServer([Stall(3.0)]) as b, \
            ScriptedServer([Cut(["Deux"])]) as c, ScriptedServer([Reply(["Deux jours [1]."])]) as d:  # fmt: skip
        chain = FallbackChatModel([model(a), model(b, first_token_s=0.3), model(c), model(d)])
        stream = chain.stream(MESSAGES)
        deltas = list(stream)
        done = stream.result
    assert done.text == "Deux jours [1]." and done.model == model(d).name
    failed = [(False, model(s).name) for s in (a, b, c)]
    assert [(x.ok, x.model) for x in done.attempts] == [*failed, (True, done.model)]
    errors = [x.error or "" for x in done.attempts[:3]]
    assert "HTTP 500" in errors[0] and "first token" in errors[1] and "cut" in errors[2]
    # what model c had shown is void: model d's first delta says so
    assert [(x.text, x.restart) for x in deltas] == [("Deux", False), ("Deux jours [1].", True)]


def test_when_no_model_answers_the_caller_gets_every_attempt() -> None:
    with ScriptedServer([Status(500)]) as a, ScriptedServer([Status(503)]) as b, pytest.raises(NoModelAnswered) as info:
        FallbackChatModel([model(a), model(b)]).stream(MESSAGES).read()
    assert [x.error for x in info.value.attempts] == [f"{model(a).name}: HTTP 500", f"{model(b).name}: HTTP 503"]


def test_settings_build_the_chain_and_the_key_is_never_shown(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        llm_base_url="http://user:pw@127.0.0.1:9/v1",
        llm_model="main",
        llm_api_key=SecretStr("sk-main-secret"),
        llm_first_token_s=1.0,
        llm_fallbacks=[LLMEndpoint(base_url=server.base_url, model="backup", api_key=SecretStr("sk-backup-secret"))],
    )
    server.steps.append(Reply(["ok"]))
    chain = create_chat_model(settings)
    assert isinstance(chain, FallbackChatModel) and len(chain.models) == 2
    with caplog.at_level(logging.DEBUG):
        done = chain.stream(MESSAGES).read()
    assert done.text == "ok" and not done.attempts[0].ok and done.attempts[1].ok
    assert server.requests[0].headers["authorization"] == "Bearer sk-backup-secret"
    ours = [chain.name, repr(chain.models[0]), *(str(a) for a in done.attempts),
            *(r.getMessage() for r in caplog.records if r.name.startswith("sourcier"))]  # fmt: skip
    assert not any("pw@" in text for text in ours)  # credentials in a URL are dropped from names and logs
    shown = " ".join([repr(settings), str(settings.model_dump()), caplog.text, *ours])
    assert "sk-main-secret" not in shown and "sk-backup-secret" not in shown


def test_no_model_configured_means_extractive_answers() -> None:
    assert create_chat_model(Settings(_env_file=None)) is None  # type: ignore[call-arg]


def test_settings_read_fallbacks_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCIER_LLM_BASE_URL", "http://gpu:8000/v1")
    monkeypatch.setenv("SOURCIER_LLM_MODEL", "mistral-small")
    fallbacks = '[{"base_url": "https://api.mistral.ai/v1", "model": "mistral-large"}]'
    monkeypatch.setenv("SOURCIER_LLM_FALLBACKS", fallbacks)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert [(e.base_url, e.model) for e in settings.llm_endpoints] == [
        ("http://gpu:8000/v1", "mistral-small"), ("https://api.mistral.ai/v1", "mistral-large")]  # fmt: skip


def test_half_configured_model_is_refused() -> None:
    with pytest.raises(ValueError, match="llm_base_url and llm_model go together"):
        Settings(_env_file=None, llm_base_url="http://gpu:8000/v1")  # type: ignore[call-arg]
