"""The OpenAI-compatible /v1 routes under hostile input: OpenAI's error shape on every failure, never a 500.

Property-based (hypothesis): chat bodies with arbitrary Unicode (NUL and unpaired surrogates included, sent
as JSON escapes), random roles, missing fields, wrong types, non-JSON bytes; signed in or not. Every answer
is one of 200, 400, 401, 413, 422, and every non-200 is JSON `{"error": {"message", "type", "param", "code"}}`.
Then the same promises checked by hand on the cases that used to fail: NUL gave a plain-text 500 (a
psycopg.DataError), and an unexpected exception anywhere answered plain text.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from psycopg import Connection

from sourcier.api import create_app
from sourcier.config import Settings
from sourcier.store import users
from tests.api.conftest import Api
from tests.conftest import FakeEmbedder, add_document

CHAT = "/v1/chat/completions"
ALLOWED = {200, 400, 401, 413, 422}
OPENAI_ERROR_KEYS = {"message", "type", "param", "code"}
ROLES = ["system", "developer", "user", "assistant", "tool", "function"]
PUBLIC = "Le télétravail est possible deux jours par semaine, avec l'accord du manager."

# Any code point, surrogates included (hypothesis leaves category Cs out by default), with NUL favoured.
_chars = st.characters(exclude_categories=())
texts = st.one_of(
    st.text(_chars, max_size=40),
    st.text(st.sampled_from(["\x00", "\ud800", "\udfff", "a", " ", "é", "\U0001f600"]), max_size=10),
    st.sampled_from(["télétravail", "Et le vendredi ?", "\x00", "jours\x00semaine", "\ud83d"]),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3), max_leaves=8
)
parts = st.fixed_dictionaries({"type": st.one_of(st.just("text"), texts, st.integers())},
                              optional={"text": st.one_of(texts, st.none(), st.integers())})  # fmt: skip
contents = st.one_of(texts, st.none(), st.lists(parts, max_size=3), json_values)
messages = st.fixed_dictionaries(
    {}, optional={"role": st.one_of(st.sampled_from(ROLES), texts, st.integers()), "content": contents}
)
bodies = st.fixed_dictionaries(
    {},
    optional={
        "model": st.one_of(st.just("sourcier"), texts, st.integers()),
        "messages": st.one_of(st.lists(messages, max_size=4), json_values),
        "stream": st.one_of(st.booleans(), texts),
        "temperature": st.one_of(st.floats(allow_nan=False, allow_infinity=False), texts, st.none()),
        "max_tokens": st.one_of(st.integers(), texts, st.none()),
        "user": texts,
    },
)
plausible = st.fixed_dictionaries(  # well formed but for the text: these reach retrieval and the answer
    {
        "messages": st.lists(
            st.fixed_dictionaries({"role": st.sampled_from(ROLES), "content": texts}), min_size=1, max_size=4
        )
    },
    optional={"stream": st.booleans(), "model": st.just("sourcier")},
)
payloads = st.one_of(
    plausible.map(lambda b: json.dumps(b).encode()),
    bodies.map(lambda b: json.dumps(b).encode()),  # ASCII JSON: NUL and surrogates as \\u escapes
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=40),
)


@pytest.fixture
def signed_in(api: Api, people: None, fake_embedder: FakeEmbedder) -> tuple[TestClient, dict[str, str]]:
    add_document(api.conn, fake_embedder, "guide.md", ["everyone"], [PUBLIC], sections=("Règles",))
    # The same app without re-raising server errors: a 500 must show as a status to assert on.
    return TestClient(api.app, raise_server_exceptions=False), api.token("alice")


def _assert_openai_error(r: Any) -> None:
    assert r.headers["content-type"].startswith("application/json"), (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == OPENAI_ERROR_KEYS, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(payload=payloads, auth=st.sampled_from(["token", "token", "token", "none", "bad"]))
def test_chat_completions_answers_in_openai_shape_whatever_the_body(
    signed_in: tuple[TestClient, dict[str, str]], payload: bytes, auth: str
) -> None:
    client, token = signed_in
    headers = {"Content-Type": "application/json"}
    if auth == "token":
        headers |= token
    elif auth == "bad":
        headers["Authorization"] = "Bearer not-a-token"
    r = client.post(CHAT, content=payload, headers=headers)
    assert r.status_code in ALLOWED, (r.status_code, r.text, payload)
    event(f"status {r.status_code}")
    if r.status_code != 200:
        _assert_openai_error(r)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(path=st.sampled_from(["/v1/models", "/v1/nothing", "/v1/chat/completions"]), auth=st.booleans())
def test_other_v1_requests_answer_in_openai_shape(
    signed_in: tuple[TestClient, dict[str, str]], path: str, auth: bool
) -> None:
    client, token = signed_in
    r = client.get(path, headers=token if auth else {})
    assert r.status_code in ALLOWED | {404, 405}, (r.status_code, r.text)
    if r.status_code != 200:
        _assert_openai_error(r)


# --- the cases that used to fail, by hand ------------------------------------------------------------------------


def _chat(content: Any, **extra: Any) -> bytes:
    return json.dumps({"model": "sourcier", "messages": [{"role": "user", "content": content}], **extra}).encode()


@pytest.mark.parametrize(
    "payload",
    [
        _chat("télétravail\x00"),
        _chat([{"type": "text", "text": "jours\x00semaine"}]),
        _chat("télétravail", model="sour\x00cier"),
        _chat("télétravail \ud800"),
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": "avant"},
                    {"role": "assistant", "content": "\x00"},
                    {"role": "user", "content": "et après ?"},
                ]
            }
        ).encode(),
    ],
)
def test_nul_and_unpaired_surrogates_are_a_400_on_v1(
    signed_in: tuple[TestClient, dict[str, str]], payload: bytes
) -> None:
    client, token = signed_in
    for stream in (False, True):
        body = json.loads(payload) | {"stream": stream}
        r = client.post(CHAT, content=json.dumps(body).encode(), headers={**token, "Content-Type": "application/json"})
        assert r.status_code == 400, r.text
        _assert_openai_error(r)
        assert r.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize("question", ["télétravail\x00", "télétravail \udfff"])
def test_nul_and_unpaired_surrogates_are_a_422_on_api_v1(
    signed_in: tuple[TestClient, dict[str, str]], question: str
) -> None:
    client, token = signed_in
    for path, field in (("/api/v1/ask", "question"), ("/api/v1/search", "query")):
        payload = json.dumps({field: question, "stream": False} if field == "question" else {field: question})
        r = client.post(path, content=payload.encode(), headers={**token, "Content-Type": "application/json"})
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "invalid_request"


class BrokenEmbedder(FakeEmbedder):
    """An embedder that fails the way no code expects (not a SourcierError)."""

    def embed_query(self, text: str) -> Any:
        raise RuntimeError("secret internal detail")


@pytest.fixture
def broken(settings: Settings, conn: Connection[Any]) -> tuple[TestClient, dict[str, str]]:
    add_document(conn, FakeEmbedder(), "guide.md", ["everyone"], [PUBLIC])
    users.create_user(conn, "bob")
    client = TestClient(create_app(settings, embedder=BrokenEmbedder()), raise_server_exceptions=False)
    return client, {"Authorization": f"Bearer {users.create_token(conn, 'bob', days=1)}"}


def test_an_unexpected_exception_is_a_json_500_in_each_shape(broken: tuple[TestClient, dict[str, str]]) -> None:
    client, token = broken
    with client:
        r = client.post("/api/v1/ask", json={"question": "télétravail", "stream": False}, headers=token)
        assert r.status_code == 500 and r.headers["content-type"].startswith("application/json")
        assert r.json() == {"error": {"code": "internal_error", "message": "Internal server error."}}

        r = client.post(CHAT, content=_chat("télétravail"), headers={**token, "Content-Type": "application/json"})
        assert r.status_code == 500
        _assert_openai_error(r)
        assert r.json()["error"]["type"] == "server_error" and "secret" not in r.text

        r = client.post(
            CHAT, content=_chat("télétravail", stream=True), headers={**token, "Content-Type": "application/json"}
        )
        assert r.status_code == 200 and "Internal server error." in r.text and r.text.endswith("data: [DONE]\n\n")
        assert "secret" not in r.text

        r = client.post("/api/v1/ask", json={"question": "télétravail"}, headers=token)  # streamed: an event
        assert r.status_code == 500 or ("event: error" in r.text and "secret" not in r.text)


def test_unknown_paths_answer_in_their_prefix_shape(signed_in: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = signed_in
    _assert_openai_error(client.get("/v1/nowhere"))
    assert client.get("/api/v1/nowhere").json()["error"]["code"] == "not_found"
