"""The OpenAI SDK talking to /v1 as a real client would: a real uvicorn on loopback, a real database."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest
import uvicorn
from fastapi import FastAPI
from psycopg import Connection

from sourcier.api import create_app
from sourcier.config import Settings
from sourcier.store import users
from tests.conftest import FakeEmbedder, add_document

PUBLIC = "Le télétravail est possible deux jours par semaine, avec l'accord du manager."
SECRET = "Le projet Orque prévoit un plan social confidentiel de quarante postes en 2027."
MEAL = "Le plafond d'un repas en déplacement est de 20 euros, le petit déjeuner de 8 euros."



def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _app(settings: Settings, embedder: FakeEmbedder) -> FastAPI:
    return create_app(settings, embedder=embedder)


@pytest.fixture
def base_url(settings: Settings, conn: Connection[Any], fake_embedder: FakeEmbedder) -> Iterator[str]:
    """The app served by uvicorn in a background thread on a free loopback port."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(_app(settings, fake_embedder), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def corpus(conn: Connection[Any], fake_embedder: FakeEmbedder) -> dict[str, int]:
    return {
        "public": add_document(conn, fake_embedder, "guide.md", ["everyone"], [PUBLIC, MEAL], sections=("Règles",)),
        "secret": add_document(conn, fake_embedder, "orque.md", ["group:direction"], [SECRET], sections=("Règles",)),
    }


def _client(base_url: str, conn: Connection[Any], name: str, *, groups: tuple[str, ...] = ()) -> openai.OpenAI:
    users.create_user(conn, name)
    for g in groups:
        users.create_group(conn, g)
        users.add_member(conn, g, name)
    return openai.OpenAI(base_url=f"{base_url}/v1", api_key=users.create_token(conn, name, days=1), max_retries=0)


def test_models_lists_sourcier(base_url: str, conn: Connection[Any]) -> None:
    client = _client(base_url, conn, "bob")
    assert [m.id for m in client.models.list()] == ["sourcier"]


def test_completion_answers_with_citations_in_content_and_in_the_extra_field(
    base_url: str, conn: Connection[Any], corpus: dict[str, int]
) -> None:
    client = _client(base_url, conn, "bob")
    done = client.chat.completions.create(
        model="sourcier", messages=[{"role": "user", "content": "Combien de jours de télétravail par semaine ?"}]
    )
    content = done.choices[0].message.content or ""
    assert done.object == "chat.completion" and done.choices[0].finish_reason == "stop"
    assert "[1]" in content and "deux jours par semaine" in content
    extra: dict[str, Any] = (done.model_extra or {})["sourcier"]
    first = extra["citations"][0]
    assert first["document_id"] == corpus["public"] and extra["found"] is True
    sources = content[content.index("Sources :") :]
    assert f"[1] guide.md — Règles ({'/api/v1/passages/'}{first['passage_id']})" in sources


def test_streamed_chunks_reassemble_into_the_non_streamed_answer(
    base_url: str, conn: Connection[Any], corpus: dict[str, int]
) -> None:
    client = _client(base_url, conn, "bob")
    messages: Any = [{"role": "user", "content": "Quel est le plafond d'un repas en déplacement ?"}]
    whole = client.chat.completions.create(model="sourcier", messages=messages).choices[0].message.content
    parts, finishes, kinds = [], [], set()
    for chunk in client.chat.completions.create(model="sourcier", messages=messages, stream=True):
        kinds.add(chunk.object)
        parts.append(chunk.choices[0].delta.content or "")
        finishes.append(chunk.choices[0].finish_reason)
    assert kinds == {"chat.completion.chunk"} and len(parts) > 2
    assert "".join(parts) == whole and "20 euros" in whole
    assert finishes[-1] == "stop" and all(f is None for f in finishes[:-1])


def test_follow_up_uses_the_history(base_url: str, conn: Connection[Any], corpus: dict[str, int]) -> None:
    client = _client(base_url, conn, "bob")
    first = "Quel est le plafond d'un repas en déplacement ?"
    answer = client.chat.completions.create(model="sourcier", messages=[{"role": "user", "content": first}])
    alone = client.chat.completions.create(model="sourcier", messages=[{"role": "user", "content": "Et le matin ?"}])
    follow = client.chat.completions.create(
        model="sourcier",
        messages=[
            {"role": "system", "content": "Tu es un assistant."},
            {"role": "user", "content": first},
            {"role": "assistant", "content": answer.choices[0].message.content or ""},
            {"role": "user", "content": "Et le matin ?"},
        ],
    )
    assert (alone.model_extra or {})["sourcier"]["found"] is False  # the follow-up alone has no subject
    extra = (follow.model_extra or {})["sourcier"]
    assert extra["found"] is True and "repas" in extra["question"]
    assert "petit déjeuner de 8 euros" in (follow.choices[0].message.content or "")


def test_bad_token_is_an_authentication_error_in_openai_shape(base_url: str, conn: Connection[Any]) -> None:
    client = openai.OpenAI(base_url=f"{base_url}/v1", api_key="sct_not-a-token", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        client.chat.completions.create(model="sourcier", messages=[{"role": "user", "content": "Bonjour"}])
    assert caught.value.status_code == 401
    assert caught.value.body == {"message": "Invalid API key.", "type": "invalid_request_error",
                                 "param": None, "code": "invalid_api_key"}  # fmt: skip
    with pytest.raises(openai.AuthenticationError):
        client.models.list()


def test_a_reader_without_access_gets_what_a_missing_document_would_give(
    base_url: str, conn: Connection[Any], corpus: dict[str, int], fake_embedder: FakeEmbedder
) -> None:
    question = [{"role": "user", "content": "Que prévoit le projet Orque en 2027 ?"}]
    boss = _client(base_url, conn, "dora", groups=("direction",))
    bob = _client(base_url, conn, "bob")
    seen = boss.chat.completions.create(model="sourcier", messages=question)  # type: ignore[arg-type]
    assert (seen.model_extra or {})["sourcier"]["citations"][0]["document_id"] == corpus["secret"]
    denied = bob.chat.completions.create(model="sourcier", messages=question)  # type: ignore[arg-type]
    conn.execute("DELETE FROM documents WHERE id = %s", (corpus["secret"],))
    missing = bob.chat.completions.create(model="sourcier", messages=question)  # type: ignore[arg-type]
    assert denied.choices[0].message.content == missing.choices[0].message.content
    assert denied.choices[0].message.content is not None and "Je ne sais pas" in denied.choices[0].message.content
    assert (denied.model_extra or {})["sourcier"] == (missing.model_extra or {})["sourcier"]
    assert "Orque" not in denied.choices[0].message.content
