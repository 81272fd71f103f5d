"""What one request may cost: the body's size, the question's length, the history a follow-up drags along,
and the text the query embedder reads.

* Bodies over `max_request_bytes` are a 413, declared (Content-Length) or streamed (chunked, counted as it
  comes in, and no longer read once past the limit), in the API's shape on /api/v1 and OpenAI's on /v1.
* A question over `max_question_chars` is refused: 422 on /api/v1/ask, 400 on /v1 (the last user message).
* A 300k-character earlier turn in /v1 messages is cut: what reaches the embedder stays small (recorded by
  a fake embedder, no timings).
* The rewriter keeps to `max_history_tokens`, with a model (the prompt) and without (the appended question).
* A NUL never reaches PostgreSQL: in any path parameter of any route (walked from `app.routes`) and in any
  string of the admin's source bodies it is a 422 in the API's shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from annotated_types import Le
from fastapi.testclient import TestClient
from psycopg import Connection
from starlette.types import Message, Scope

from sourcier.answer import QuestionRewriter
from sourcier.answer._rewrite import cut_to_tokens, estimate_tokens, fit_history
from sourcier.api import create_app
from sourcier.api._schemas import QUESTION_CHARS_CEILING
from sourcier.config import Settings
from sourcier.retrieve._hybrid import fit_window
from sourcier.store import users
from sourcier.types import Turn
from tests.api.conftest import Api, api, people
from tests.api.test_route_auth import _walk
from tests.conftest import FakeEmbedder, add_document
from tests.llm.scripted import FakeChatModel

__all__ = ["api", "people"]  # the API fixtures, shared with tests/api

MiB = 1024 * 1024
ASK = "/api/v1/ask"
CHAT = "/v1/chat/completions"
PUBLIC = "Le télétravail est possible deux jours par semaine, le lundi et le vendredi."


class RecordingEmbedder(FakeEmbedder):
    """The fake embedder, keeping every query it is given; `window_tokens` as an embedder may declare it."""

    def __init__(self, window_tokens: int = 512) -> None:
        super().__init__()
        self.window_tokens = window_tokens
        self.queries: list[str] = []

    def embed_query(self, text: str) -> Any:
        self.queries.append(text)
        return super().embed_query(text)


Recorded = tuple[TestClient, RecordingEmbedder, dict[str, str]]


def _app_client(settings: Settings, embedder: FakeEmbedder) -> TestClient:
    return TestClient(create_app(settings, embedder=embedder), base_url="http://testserver")


@pytest.fixture
def recorded(settings: Settings, conn: Connection[Any]) -> Iterator[Recorded]:
    """An app whose embedder records queries and reads any length (so that only the history cut acts)."""
    emb = RecordingEmbedder(window_tokens=10_000_000)
    add_document(conn, emb, "guide.md", ["everyone"], [PUBLIC])
    users.create_user(conn, "bob")
    headers = {"Authorization": f"Bearer {users.create_token(conn, 'bob', days=1)}"}
    with _app_client(settings, emb) as client:
        yield client, emb, headers


def _assert_api_shape(body: Any, code: str) -> None:
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code


def _assert_openai_shape(body: Any) -> None:
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}, body
    assert body["error"]["type"] == "invalid_request_error" and body["error"]["message"]


def _chat(question: str, *earlier: tuple[str, str]) -> dict[str, Any]:
    messages = [{"role": role, "content": text} for role, text in earlier]
    return {"model": "sourcier", "messages": [*messages, {"role": "user", "content": question}]}


# --- the body limit ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [ASK, CHAT])
def test_a_declared_body_over_the_limit_is_413_before_any_sign_in(api: Api, people: None, path: str) -> None:
    big = b'{"question": "' + b"a" * MiB + b'"}'
    for headers in ({}, api.token("alice")):
        r = api.client.post(path, content=big, headers={**headers, "Content-Type": "application/json"})
        assert r.status_code == 413, r.text
        assert r.request.headers["content-length"] == str(len(big))
        body = r.json()
        if path == CHAT:
            _assert_openai_shape(body)
            assert body["error"]["code"] == "too_large"
        else:
            _assert_api_shape(body, "too_large")
        assert r.headers["X-Content-Type-Options"] == "nosniff"  # the security headers still apply


@pytest.mark.parametrize("path", [ASK, CHAT])
def test_a_chunked_body_over_the_limit_is_413(api: Api, people: None, path: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(20):
            yield b"a" * (64 * 1024)
        yield b'"}'

    r = api.client.post(path, content=chunks(), headers={**api.token("alice"), "Content-Type": "application/json"})
    assert "content-length" not in r.request.headers and r.request.headers["transfer-encoding"] == "chunked"
    assert r.status_code == 413, r.text
    if path == CHAT:
        _assert_openai_shape(r.json())
    else:
        _assert_api_shape(r.json(), "too_large")


@pytest.mark.parametrize("path", [ASK, CHAT])
def test_a_streamed_body_is_no_longer_read_once_past_the_limit(api: Api, people: None, path: str) -> None:
    """The app itself, called in ASGI with a body in 64 KiB messages (the test client would buffer it)."""
    token = api.token("alice")["Authorization"].encode()
    read = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": b"a" * (64 * 1024), "more_body": read < 64}  # 4 MiB offered

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"), (b"authorization", token)],
        "client": ("127.0.0.1", 1234), "server": ("testserver", 80), "state": {},
    }  # fmt: skip
    anyio.run(api.app, scope, receive, send)
    assert read <= 17, f"{read} messages of 64 KiB read: the body was read on past 1 MiB"
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 413
    body = json.loads(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))
    _assert_openai_shape(body) if path == CHAT else _assert_api_shape(body, "too_large")


def test_a_chunked_body_under_the_limit_is_answered(api: Api, people: None) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"model": "sourcier", "messages": [{"role": "user", '
        yield b'"content": "t\xc3\xa9l\xc3\xa9travail"}]}'

    r = api.client.post(CHAT, content=chunks(), headers={**api.token("alice"), "Content-Type": "application/json"})
    assert r.status_code == 200, r.text


def test_the_limit_follows_the_setting(settings: Settings, conn: Connection[Any]) -> None:
    users.create_user(conn, "bob")
    headers = {"Authorization": f"Bearer {users.create_token(conn, 'bob', days=1)}"}
    small = settings.model_copy(update={"max_request_bytes": 2048})
    with _app_client(small, FakeEmbedder()) as client:
        r = client.post(ASK, json={"question": "x" * 3000, "stream": False}, headers=headers)
        assert r.status_code == 413
        r = client.post(ASK, json={"question": "télétravail", "stream": False}, headers=headers)
        assert r.status_code == 200, r.text


# --- the question's length -----------------------------------------------------------------------------------


def test_a_question_over_the_limit_is_422_on_ask(api: Api, people: None) -> None:
    user = api.token("alice")
    r = api.client.post(ASK, json={"question": "a" * 4001, "stream": False}, headers=user)
    assert r.status_code == 422
    _assert_api_shape(r.json(), "invalid_request")
    assert "question" in r.json()["error"]["message"] and "4000" in r.json()["error"]["message"]
    assert api.client.post(ASK, json={"question": "a " * 2000, "stream": False}, headers=user).status_code == 200


def test_a_lowered_question_limit_applies_on_both_endpoints(settings: Settings, conn: Connection[Any]) -> None:
    users.create_user(conn, "bob")
    headers = {"Authorization": f"Bearer {users.create_token(conn, 'bob', days=1)}"}
    short = settings.model_copy(update={"max_question_chars": 100})
    with _app_client(short, FakeEmbedder()) as client:
        assert client.post(ASK, json={"question": "a" * 101, "stream": False}, headers=headers).status_code == 422
        r = client.post(CHAT, json=_chat("a" * 101), headers=headers)
        assert r.status_code == 400
        _assert_openai_shape(r.json())
        assert client.post(CHAT, json=_chat("a" * 100), headers=headers).status_code == 200


def test_a_question_over_the_limit_is_400_on_chat_completions(api: Api, people: None) -> None:
    r = api.client.post(CHAT, json=_chat("a" * 4001), headers=api.token("alice"))
    assert r.status_code == 400
    _assert_openai_shape(r.json())
    assert "4000" in r.json()["error"]["message"]


def test_the_setting_cannot_pass_the_schema_ceiling() -> None:
    bounds = Settings.model_fields["max_question_chars"].metadata
    assert Le(QUESTION_CHARS_CEILING) in bounds
    with pytest.raises(ValueError):
        Settings(max_question_chars=QUESTION_CHARS_CEILING + 1, _env_file=None)  # type: ignore[call-arg]


# --- the history of /v1 messages -------------------------------------------------------------------------------


def test_a_huge_earlier_turn_is_cut_before_the_embedder(recorded: Recorded) -> None:
    client, emb, headers = recorded
    huge = "télétravail " * 25_000  # 300,000 characters
    body = _chat("Et le vendredi ?", ("user", huge), ("assistant", huge))
    r = client.post(CHAT, json=body, headers=headers)
    assert r.status_code == 200, r.text
    assert emb.queries, "the question reached no embedder"
    # The question, " — ", and the previous question cut to the history budget (1000 tokens, 4 chars each).
    assert max(len(q) for q in emb.queries) <= len("Et le vendredi ?") + 3 + 4000
    assert all(q.startswith("Et le vendredi ? — télétravail") for q in emb.queries)


def test_the_query_embedder_reads_at_most_its_window(settings: Settings, conn: Connection[Any]) -> None:
    emb = RecordingEmbedder()  # a 512-token window
    users.create_user(conn, "bob")
    headers = {"Authorization": f"Bearer {users.create_token(conn, 'bob', days=1)}"}
    with _app_client(settings, emb) as client:
        body = _chat("Et le vendredi ?", ("user", "jour " * 60_000), ("assistant", "Deux."))
        assert client.post(CHAT, json=body, headers=headers).status_code == 200
        assert client.post(ASK, json={"question": "mot " * 999, "stream": False}, headers=headers).status_code == 200
    assert emb.queries and all(emb.token_count(q) <= 512 and len(q) <= 512 * 4 for q in emb.queries)


def test_fit_window_shrinks_text_whose_tokens_are_short() -> None:
    class CharTokens(FakeEmbedder):
        window_tokens = 100

        def token_count(self, text: str) -> int:
            return len(text)  # one token a character: the 4-characters estimate is 4 times too many

    emb = CharTokens()
    assert len(fit_window(emb, "x" * 10_000)) <= 100
    assert fit_window(emb, "court") == "court"
    assert len(fit_window(FakeEmbedder(), "mot " * 10_000)) <= 512 * 4


# --- the rewriter's history budget -----------------------------------------------------------------------------


def _turn(i: int, chars: int) -> Turn:
    return Turn(question=f"question{i} " + "q" * chars, answer=f"réponse{i} " + "r" * chars)


def test_fit_history_keeps_the_most_recent_turns_that_fit() -> None:
    history = [_turn(i, 800) for i in range(6)]  # about 2 x 203 tokens a turn
    kept = fit_history(history, 1000)
    assert [t.question.split()[0] for t in kept] == ["question4", "question5"]
    assert sum(estimate_tokens(t.question) + estimate_tokens(t.answer) for t in kept) <= 1000


def test_fit_history_cuts_the_newest_turn_when_alone_it_is_too_long() -> None:
    kept = fit_history([_turn(0, 10), _turn(1, 300_000)], 1000)
    assert len(kept) == 1 and kept[0].question.startswith("question1")
    assert estimate_tokens(kept[0].question) + estimate_tokens(kept[0].answer) <= 1000
    assert cut_to_tokens("un deux trois", 2) == "un deux" and cut_to_tokens("court", 10) == "court"


def test_the_model_prompt_keeps_the_budget() -> None:
    fake = FakeChatModel(["Question : Combien de jours pour les cadres ?"])
    history = [_turn(i, 800) for i in range(6)]
    out = QuestionRewriter(model=fake, max_turns=6, max_history_tokens=1000).run("Et les cadres ?", history,
                                                                                  language="fr")  # fmt: skip
    prompt = "\n".join(m.content for m in fake.prompts[0])
    assert out.method == "model"
    assert "question5" in prompt and "question4" in prompt and "question3" not in prompt
    assert prompt.count("q" * 800) == 2


def test_the_appended_question_is_cut_to_the_budget() -> None:
    history = [Turn("télétravail " * 25_000, "Deux jours.")]
    out = QuestionRewriter(max_history_tokens=100).run("Et le vendredi ?", history, language="fr")
    assert out.method == "appended"
    assert out.standalone.startswith("Et le vendredi ? — télétravail")
    assert len(out.standalone) <= len("Et le vendredi ? — ") + 400


def test_api_ask_follow_ups_keep_to_the_servers_history_budget(settings: Settings, conn: Connection[Any]) -> None:
    emb = RecordingEmbedder()
    users.create_user(conn, "bob")
    headers = {"Authorization": f"Bearer {users.create_token(conn, 'bob', days=1)}"}
    first = "télétravail " * 300  # 3,600 characters: within the question limit, over a 100-token history
    with _app_client(settings.model_copy(update={"max_history_tokens": 100}), emb) as client:
        r = client.post(ASK, json={"question": first, "stream": False}, headers=headers)
        assert r.status_code == 200, r.text
        follow = {"question": "Et le vendredi ?", "conversation_id": r.json()["conversation_id"], "stream": False}
        emb.queries.clear()
        assert client.post(ASK, json=follow, headers=headers).status_code == 200
    assert emb.queries and all(q.startswith("Et le vendredi ? — télétravail") for q in emb.queries)
    assert max(len(q) for q in emb.queries) <= len("Et le vendredi ?") + 3 + 100 * 4


# --- NUL in the path and in admin bodies ---------------------------------------------------------------------


def _path_params(api: Api) -> list[tuple[str, str, str]]:
    """(method, path template, parameter) for every path parameter of every route."""
    return [(m, r.path, p) for r in _walk(list(api.app.routes)) for p in r.param_convertors
            for m in sorted((r.methods or set()) - {"HEAD", "OPTIONS"})]  # fmt: skip


def _fill(template: str, param: str, value: str) -> str:
    """The path with `value` for `param` and a plain name for every other parameter."""
    return re.sub(r"\{(\w+)\}", lambda m: value if m.group(1) == param else "rh", template)


def test_a_nul_in_any_path_parameter_is_a_422_in_the_api_shape(api: Api, people: None) -> None:
    """Each parameter in turn gets a NUL (alone and inside a name), the others a plain value; as an admin,
    so that no 401 or 403 answers first. An int id refuses it as not a number, a name as NUL text: before
    any statement, since PostgreSQL text cannot hold a NUL (the source routes answered a 500)."""
    admin = api.token("root")
    checked = 0
    for method, template, param in _path_params(api):
        for value in ("%00", "docs%00x"):
            url = _fill(template, param, value)
            kwargs: dict[str, Any] = {"json": {}} if method in ("POST", "PATCH", "PUT") else {}
            r = api.client.request(method, url, headers=admin, **kwargs)
            assert r.status_code == 422, (method, url, r.status_code, r.text)
            _assert_api_shape(r.json(), "invalid_request")
            assert r.json()["error"]["message"].startswith(f"path.{param}:"), (method, url, r.text)
            checked += 1
    assert checked >= 2 * 16, checked  # the id routes, the users', groups' and sources' names
    assert api.client.get("/api/v1/documents/%00", headers=api.token("bob")).status_code == 422


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/admin/sources", {"name": "do\x00cs", "location": "/srv/docs"}),
        ("POST", "/api/v1/admin/sources", {"name": "docs", "location": "/srv/\x00docs"}),
        ("POST", "/api/v1/admin/sources", {"name": "docs", "kind": "file\x00system", "location": "/srv/docs"}),
        ("POST", "/api/v1/admin/sources", {"name": "docs", "location": "/srv/docs", "every": "1h\x00"}),
        ("POST", "/api/v1/admin/sources", {"name": "docs", "location": "/srv/docs", "read": ["group:\x00rh"]}),
        ("POST", "/api/v1/admin/sources", {"name": "docs", "location": "/srv/docs", "read": ["everyone\udc80"]}),
        ("PATCH", "/api/v1/admin/sources/docs", {"location": "/srv/\x00docs"}),
        ("PATCH", "/api/v1/admin/sources/docs", {"every": "\x00"}),
        ("PATCH", "/api/v1/admin/sources/docs", {"read": ["everyone", "\x00"]}),
    ],
)
def test_a_nul_in_a_source_body_is_a_422_before_any_check(
    api: Api, people: None, method: str, path: str, body: dict[str, Any]
) -> None:
    """Every string of the source bodies is `Text`: refused by the schema, never handed to the location
    checks or to PostgreSQL (and a PATCH of a missing source says 422 too: the body is read first)."""
    raw = json.dumps(body)  # ASCII JSON: NUL and the lone surrogate as \\u escapes
    headers = {**api.token("root"), "Content-Type": "application/json"}
    r = api.client.request(method, path, content=raw, headers=headers)
    assert r.status_code == 422, r.text
    _assert_api_shape(r.json(), "invalid_request")
    assert r.json()["error"]["message"].startswith("body."), r.text
    assert api.conn.execute("SELECT count(*) FROM sources").fetchone() == (0,)
