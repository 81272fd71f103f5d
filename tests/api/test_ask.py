"""Ask (SSE and JSON), search, documents/passages by id, conversations, feedback, regenerate, traces."""

from __future__ import annotations

import json
from typing import Any

from tests.api.conftest import Api


def _events(body: str) -> list[tuple[str, Any]]:
    out = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], json.loads(lines["data"])))
    return out


def test_ask_streams_events_in_order_and_records_a_trace(api: Api, people: None, corpus: object) -> None:
    h = api.token("bob")
    with api.client.stream("POST", "/api/v1/ask", json={"question": "télétravail jours par semaine"}, headers=h) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events = _events(r.read().decode())
    names = [n for n, _ in events]
    assert names[0] == "retrieval" and names[-2:] == ["citations", "done"]
    assert set(names[1:-2]) <= {"token"}
    done = events[-1][1]
    assert done["found"] and done["citations"] and "Zéphyrine" not in json.dumps(events, ensure_ascii=False)
    row = api.conn.execute(
        "SELECT total_ms, embed_ms, retrieve_ms, rewrite_ms, array_length(chunk_ids, 1), answer_id FROM traces"
    ).fetchone()
    assert row is not None and row[0] > 0 and row[1] is not None and row[2] is not None and row[4] >= 1
    assert row[5] == done["answer_id"]


def test_forbidden_document_answers_like_a_missing_one(api: Api, people: None, corpus: object) -> None:
    secret = api.conn.execute("SELECT d.id, c.id FROM documents d JOIN chunks c ON c.document_id = d.id "
                              "WHERE d.path LIKE '%salaires%'").fetchone()  # fmt: skip
    public = api.conn.execute("SELECT d.id FROM documents d WHERE d.path LIKE '%teletravail%'").fetchone()
    assert secret is not None and public is not None
    bob, alice = api.token("bob"), api.token("alice")
    for kind, ident in (("documents", secret[0]), ("passages", secret[1])):
        forbidden = api.client.get(f"/api/v1/{kind}/{ident}", headers=bob)
        missing = api.client.get(f"/api/v1/{kind}/987654", headers=bob)
        assert forbidden.status_code == missing.status_code == 404
        assert forbidden.content == missing.content
        assert api.client.get(f"/api/v1/{kind}/{ident}", headers=alice).status_code == 200
    doc = api.client.get(f"/api/v1/documents/{public[0]}", headers=bob).json()
    assert doc["title"] == "Télétravail"
    f = api.client.get(f"/api/v1/documents/{public[0]}/file", headers=bob)
    assert f.status_code == 200 and b"deux jours" in f.content
    assert api.client.get(f"/api/v1/documents/{secret[0]}/file", headers=bob).status_code == 404
    hits = api.client.post("/api/v1/search", json={"query": "budget Zéphyrine"}, headers=bob).json()["passages"]
    assert all("Zéphyrine" not in p["text"] for p in hits)


def test_conversations_feedback_and_regenerate(api: Api, people: None, corpus: object) -> None:
    bob, alice = api.token("bob"), api.token("alice")
    first = api.client.post("/api/v1/ask", json={"question": "télétravail", "stream": False}, headers=bob).json()
    cid = first["conversation_id"]
    follow = {"question": "et le vendredi ?", "conversation_id": cid, "stream": False}
    assert api.client.post("/api/v1/ask", json=follow, headers=bob).json()["conversation_id"] == cid
    assert [c["id"] for c in api.client.get("/api/v1/conversations", headers=bob).json()] == [cid]
    assert api.client.get("/api/v1/conversations", headers=alice).json() == []
    assert api.client.get(f"/api/v1/conversations/{cid}", headers=alice).status_code == 404
    assert api.client.post("/api/v1/ask", json=follow, headers=alice).status_code == 404
    fb = {"rating": "down", "comment": "trop vague"}
    assert api.client.post(f"/api/v1/answers/{first['answer_id']}/feedback", json=fb, headers=alice).status_code == 404
    assert api.client.post(f"/api/v1/answers/{first['answer_id']}/feedback", json=fb, headers=bob).status_code == 200
    assert api.conn.execute("SELECT rating, comment FROM feedback").fetchall() == [("down", "trop vague")]
    again = api.client.post(f"/api/v1/answers/{first['answer_id']}/regenerate", json={"stream": False}, headers=bob)
    assert again.status_code == 200 and again.json()["answer_id"] != first["answer_id"]
    messages = api.client.get(f"/api/v1/conversations/{cid}", headers=bob).json()["messages"]
    assert len(messages) == 3 and messages[0]["answer_id"] == first["answer_id"]
    assert api.client.delete(f"/api/v1/conversations/{cid}", headers=alice).status_code == 404
    assert api.client.delete(f"/api/v1/conversations/{cid}", headers=bob).status_code == 200
    assert api.client.get(f"/api/v1/conversations/{cid}", headers=bob).status_code == 404


def test_admin_overview_and_users(api: Api, people: None, corpus: object) -> None:
    root = api.token("root")
    api.client.post("/api/v1/ask", json={"question": "télétravail", "stream": False}, headers=root)
    o = api.client.get("/api/v1/admin/overview", headers=root).json()
    assert o["documents"] == 2 and o["chunks"] >= 2 and sum(d["count"] for d in o["questions_per_day"]) == 1
    r = api.client.patch("/api/v1/admin/users/bob", json={"disabled": True}, headers=root)
    assert r.status_code == 200 and r.json()["disabled"]
    assert api.client.post("/api/v1/admin/groups/rh/members/bob", headers=root).status_code == 200
    groups = api.client.get("/api/v1/admin/groups", headers=root).json()
    assert {"name": "rh", "members": ["alice", "bob"]} in groups


def test_admin_adds_a_folder_source_and_sees_its_sync_finish(api: Api, people: None, tmp_path_factory: Any) -> None:
    import time

    shared = tmp_path_factory.mktemp("shared")  # outside sourcier's home (tmp_path), under the server's roots
    api.app.state.settings = api.app.state.settings.model_copy(update={"source_roots": [shared]})
    folder = shared / "wiki"
    folder.mkdir()
    (folder / "note.md").write_text("# Note\n\nLa cantine ouvre à midi.\n")
    root = api.token("root")
    body = {"name": "wiki", "kind": "filesystem", "location": str(folder), "every": "1h", "read": ["everyone"]}
    assert api.client.post("/api/v1/admin/sources", json=body, headers=root).status_code == 201
    assert api.client.post("/api/v1/admin/sources/wiki/sync", headers=api.token("bob")).status_code == 403
    assert api.client.post("/api/v1/admin/sources/wiki/sync", headers=root).status_code == 202
    runs: list[Any] = []
    for _ in range(100):
        runs = api.client.get("/api/v1/admin/sources/wiki/runs", headers=root).json()
        if runs and runs[0]["status"] != "running":
            break
        time.sleep(0.1)
    assert runs and runs[0]["status"] == "succeeded", runs
    assert any(s["name"] == "wiki" for s in api.client.get("/api/v1/admin/sources", headers=root).json())
    assert api.client.get("/api/v1/admin/sources/nope/runs", headers=root).status_code == 404


def test_a_nul_character_is_refused_with_a_clear_error(api: Api, people: None, corpus: object) -> None:
    # PostgreSQL text cannot hold NUL: the body is refused at the boundary, before any statement runs.
    h = api.token("bob")
    for path, body in (("/api/v1/search", {"query": "télétravail\x00"}), ("/api/v1/ask", {"question": "a\x00b"})):
        r = api.client.post(path, json=body | {"stream": False} if path.endswith("ask") else body, headers=h)
        assert r.status_code == 422, r.text
        assert "NUL" in r.text
    r = api.client.post("/api/v1/search", json={"query": "télétravail"}, headers=h)
    assert r.status_code == 200 and r.json()
