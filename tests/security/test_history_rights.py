"""History is read with the reader's current rights: a conversation keeps what its answers cited, so losing
access to a document (leaving a group, a narrowed access list, the document deleted) must hide, at the
next read, every answer that cited it, wherever history is served.

What each test probes:

* test_leaving_the_group_withholds_the_answers_that_cited_its_documents: alice leaves `rh`; the details of
  her conversations show the French and the English neutral sentence in place of the two HR answers (no
  text, title, path, figure or id of theirs), the public answer and the "not found" one exactly as before,
  and neither the list nor feedback on a withheld answer says more; back in `rh`, she sees them again
  (a filter at read time, nothing was erased).
* test_deleting_the_documents_withholds_the_answers: still in `rh`, but the HR files are gone from the
  source and the sync deleted them: cited passages that no longer exist withhold the answer too.
* test_a_narrowed_access_list_withholds_the_answers: still in `rh`, but the HR folder is now for another
  group (access lists changed in place, same ids): the answers are withheld.
* test_a_mixed_answer_is_withheld_whole: an answer citing a public passage and an HR one is hidden
  entirely, its public sentence included, while a public-only answer of the same conversation stays.
* test_regenerate_and_follow_ups_feed_no_withheld_answer_to_the_model: with a model configured, a follow-up
  asked or regenerated after alice left `rh` gives the rewriter her earlier question but not the HR answer's
  text; neither the regenerated answers nor any prompt carries an HR string.
* test_traces_read_back_keep_only_the_passages_still_readable: a trace read back by its user keeps its
  question but drops the ids of passages she may no longer read, and keeps the public ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from psycopg import Connection

from sourcier.api import create_app
from sourcier.config import Settings
from sourcier.errors import LLMError
from sourcier.store import traces, users
from sourcier.sync import FolderIndexer
from tests.api.conftest import Api, api, people
from tests.conftest import FakeEmbedder
from tests.llm.scripted import FakeChatModel

__all__ = ["api", "people"]  # the API fixtures, shared with tests/api

FR_WITHHELD = "Les sources de cette réponse ne vous sont plus accessibles."
EN_WITHHELD = "The sources of this answer are no longer available to you."

HR_FR = "Quel est le budget confidentiel ?"
HR_EN = "What is the secret allowance in dollars?"
PUBLIC = "télétravail jours par semaine"
NOTHING = "quantique chromodynamique"
MIXED = "budget confidentiel et télétravail par semaine"

# Text, titles, file names and figures of the HR documents; none of them is in a question above.
HR_STRINGS = ("4 321 987", "4321987", "Zéphyrine", "Zephyrine", "salaires", "7 654 321", "Halcyon", "halcyon")


@pytest.fixture
def docs(tmp_path: Path, settings: Settings, conn: Connection[Any], fake_embedder: FakeEmbedder) -> Path:
    """A public note, and two HR documents for group rh only: one French, one English."""
    root = tmp_path / "docs"
    (root / "rh").mkdir(parents=True)
    (root / ".sourcier-access.toml").write_text('read = ["everyone"]\n')
    (root / "teletravail.md").write_text(
        "# Télétravail\n\nLe télétravail est possible deux jours par semaine, le lundi et le vendredi.\n"
    )
    (root / "rh" / ".sourcier-access.toml").write_text('read = ["group:rh"]\n')
    (root / "rh" / "salaires.md").write_text(
        "# Projet Zéphyrine\n\nLe budget confidentiel du projet Zéphyrine est de 4 321 987 euros.\n"
    )
    (root / "rh" / "halcyon.md").write_text(
        "# Project Halcyon\n\nThe secret allowance of Halcyon reaches 7 654 321 dollars.\n"
    )
    _sync(settings, conn, fake_embedder, root)
    return root


def _sync(settings: Settings, conn: Connection[Any], embedder: FakeEmbedder, root: Path) -> None:
    FolderIndexer(settings=settings, embedder=embedder).run(conn, root, source_name="docs")


@dataclass(frozen=True)
class History:
    """alice's conversations, each a list of answers: one HR answer in French, one HR answer in English, and
    a "not found" answer followed by a public one (separate conversations: a follow-up without a model is
    searched with the previous question appended, which would mix their sources)."""

    conversations: list[tuple[int, list[dict[str, Any]]]]
    hr_ids: set[int]  # the HR documents' and passages' ids


def _ask(client: TestClient, token: dict[str, str], question: str, conversation_id: int | None = None) -> Any:
    body = {"question": question, "stream": False, "conversation_id": conversation_id}
    r = client.post("/api/v1/ask", json=body, headers=token)
    assert r.status_code == 200, r.text
    return r.json()


def _hr_ids(conn: Connection[Any]) -> set[int]:
    rows = conn.execute(
        "SELECT d.id, c.id FROM documents d JOIN chunks c ON c.document_id = d.id WHERE d.path LIKE '%/rh/%'"
    )
    return {int(i) for r in rows for i in r}


def _cited_paths(answer: dict[str, Any]) -> list[str]:
    return sorted(Path(c["path"]).name for c in answer["citations"])


def _conversation(client: TestClient, token: dict[str, str], *questions: str) -> tuple[int, list[dict[str, Any]]]:
    first = _ask(client, token, questions[0])
    cid = first["conversation_id"]
    return cid, [first] + [_ask(client, token, q, cid) for q in questions[1:]]


def _alice_history(client: TestClient, conn: Connection[Any]) -> History:
    alice = {"Authorization": f"Bearer {users.create_token(conn, 'alice')}"}
    convs = [_conversation(client, alice, *qs) for qs in ((HR_FR,), (HR_EN,), (NOTHING, PUBLIC))]
    cited = [[_cited_paths(a) for a in answers] for _, answers in convs]
    assert cited == [[["salaires.md"]], [["halcyon.md"]], [[], ["teletravail.md"]]]
    (_, [fr]), (_, [en]), _ = convs
    assert "4 321 987" in fr["text"] and (fr["language"], en["language"]) == ("fr", "en")
    assert "7 654 321" in en["text"]
    return History(convs, _hr_ids(conn))


def _assert_no_hr(raw: str, hr_ids: set[int]) -> None:
    """No HR string anywhere in `raw`, and, when it is a JSON body, no HR document or passage id in it."""
    for needle in HR_STRINGS:
        assert needle.lower() not in raw.lower(), needle
    try:
        body = json.loads(raw)
    except ValueError:
        return
    assert not _source_ids(body) & hr_ids


def _source_ids(body: Any) -> set[int]:
    if isinstance(body, list):
        return {i for v in body for i in _source_ids(v)}
    if not isinstance(body, dict):
        return set()
    own = {v for k, v in body.items() if k in ("document_id", "passage_id") and isinstance(v, int)}
    return own | {i for v in body.values() for i in _source_ids(v)}


def _assert_withheld(message: dict[str, Any], original: dict[str, Any], sentence: str) -> None:
    assert message["text"] == sentence and message["citations"] == [] and not message["found"]
    assert message["sql"] is None and message["table"] is None and message["notice"] is None
    assert (message["answer_id"], message["question"]) == (original["answer_id"], original["question"])


def _detail(api: Api, conversation_id: int) -> tuple[str, list[dict[str, Any]]]:
    r = api.client.get(f"/api/v1/conversations/{conversation_id}", headers=api.token("alice"))
    assert r.status_code == 200, r.text
    return r.text, r.json()["messages"]


def _assert_hr_answers_withheld(api: Api, history: History) -> None:
    (fr_id, [fr]), (en_id, [en]), (public_id, public) = history.conversations
    for cid, original, sentence in ((fr_id, fr, FR_WITHHELD), (en_id, en, EN_WITHHELD)):
        raw, [message] = _detail(api, cid)
        _assert_no_hr(raw, history.hr_ids)
        _assert_withheld(message, original, sentence)
    assert _detail(api, public_id)[1] == public  # the "not found" answer and the public one, unchanged


def test_leaving_the_group_withholds_the_answers_that_cited_its_documents(api: Api, people: None, docs: Path) -> None:
    history = _alice_history(api.client, api.conn)
    users.remove_member(api.conn, "rh", "alice")
    _assert_hr_answers_withheld(api, history)
    listed = api.client.get("/api/v1/conversations", headers=api.token("alice"))
    assert {c["id"] for c in listed.json()} == {cid for cid, _ in history.conversations}
    _assert_no_hr(listed.text, history.hr_ids)
    rated = api.client.post(
        f"/api/v1/answers/{history.conversations[0][1][0]['answer_id']}/feedback",
        json={"rating": "down", "comment": "vague"},
        headers=api.token("alice"),
    )
    assert rated.status_code == 200 and rated.json() == {"ok": True}
    users.add_member(api.conn, "rh", "alice")
    assert [_detail(api, cid)[1] for cid, _ in history.conversations] == [a for _, a in history.conversations]


def test_deleting_the_documents_withholds_the_answers(
    api: Api, people: None, docs: Path, settings: Settings, fake_embedder: FakeEmbedder
) -> None:
    history = _alice_history(api.client, api.conn)
    for name in ("salaires.md", "halcyon.md"):
        (docs / "rh" / name).unlink()
    _sync(settings, api.conn, fake_embedder, docs)
    assert api.conn.execute("SELECT count(*) FROM documents WHERE path LIKE '%/rh/%'").fetchone() == (0,)
    _assert_hr_answers_withheld(api, history)


def test_a_narrowed_access_list_withholds_the_answers(
    api: Api, people: None, docs: Path, settings: Settings, fake_embedder: FakeEmbedder
) -> None:
    history = _alice_history(api.client, api.conn)
    (docs / "rh" / ".sourcier-access.toml").write_text('read = ["group:direction"]\n')
    _sync(settings, api.conn, fake_embedder, docs)
    assert _hr_ids(api.conn) == history.hr_ids  # the same documents and passages, read by others now
    _assert_hr_answers_withheld(api, history)


def test_a_mixed_answer_is_withheld_whole(api: Api, people: None, docs: Path) -> None:
    alice = api.token("alice")
    cid, (public, mixed) = _conversation(api.client, alice, PUBLIC, HR_FR)  # HR_FR searched with PUBLIC appended
    assert _cited_paths(public) == ["teletravail.md"] and _cited_paths(mixed) == ["salaires.md", "teletravail.md"]
    assert "4 321 987" in mixed["text"] and "lundi" in mixed["text"]
    users.remove_member(api.conn, "rh", "alice")
    raw, (kept, shown) = _detail(api, cid)
    _assert_no_hr(raw, _hr_ids(api.conn))
    _assert_withheld(shown, mixed, FR_WITHHELD)
    assert "lundi" not in json.dumps(shown, ensure_ascii=False)  # its public sentence went with it
    assert kept == public


@pytest.fixture
def model() -> FakeChatModel:
    """A configured model that always fails: answers fall back to the extractive ones, prompts are recorded."""
    return FakeChatModel([LLMError("scripted failure") for _ in range(40)])


@pytest.fixture
def model_api(
    settings: Settings, conn: Connection[Any], fake_embedder: FakeEmbedder, model: FakeChatModel
) -> Iterator[Api]:
    app = create_app(settings, embedder=fake_embedder, chat_model=model)
    with TestClient(app, base_url="http://testserver") as client:
        yield Api(client=client, conn=conn, app=app)


def _prompts(model: FakeChatModel, since: int) -> str:
    return "\n".join(m.content for messages in model.prompts[since:] for m in messages)


def test_regenerate_and_follow_ups_feed_no_withheld_answer_to_the_model(
    model_api: Api, people: None, docs: Path, model: FakeChatModel
) -> None:
    alice = model_api.token("alice")
    first = _ask(model_api.client, alice, HR_FR)
    cid = first["conversation_id"]
    follow = _ask(model_api.client, alice, PUBLIC, cid)
    assert _cited_paths(first) == ["salaires.md"] and "4 321 987" in _prompts(model, 0)
    hr_ids = _hr_ids(model_api.conn)
    users.remove_member(model_api.conn, "rh", "alice")
    since = len(model.prompts)
    again = model_api.client.post(
        f"/api/v1/answers/{follow['answer_id']}/regenerate", json={"stream": False}, headers=alice
    )
    assert again.status_code == 200, again.text
    later = _ask(model_api.client, alice, "et le vendredi ?", cid)
    redone = model_api.client.post(
        f"/api/v1/answers/{first['answer_id']}/regenerate", json={"stream": False}, headers=alice
    )
    assert redone.status_code == 200 and redone.json()["answer_id"] != first["answer_id"]
    prompts = _prompts(model, since)
    assert HR_FR in prompts  # the question she wrote still gives the follow-up its subject
    for raw in (again.text, json.dumps(later, ensure_ascii=False), redone.text, prompts):
        _assert_no_hr(raw, hr_ids)


def test_traces_read_back_keep_only_the_passages_still_readable(api: Api, people: None, docs: Path) -> None:
    history = _alice_history(api.client, api.conn)
    hr_passages = history.hr_ids & {
        c["passage_id"] for _, answers in history.conversations for a in answers for c in a["citations"]
    }
    public_passage = history.conversations[2][1][1]["citations"][0]["passage_id"]
    before = {t.question: t.chunk_ids for t in traces.for_user(api.conn, "alice")}
    assert len(hr_passages) == 2 and hr_passages <= {c for ids in before.values() for c in ids}
    users.remove_member(api.conn, "rh", "alice")
    _assert_only_public_passages(traces.for_user(api.conn, "alice"), hr_passages, public_passage)
    principals = users.identity(api.conn, "alice").principals
    given = traces.for_user(api.conn, "alice", principals=principals)
    _assert_only_public_passages(given, hr_passages, public_passage)


def _assert_only_public_passages(read: list[traces.TraceRow], hr_passages: set[int], public_passage: int) -> None:
    after = {t.question: t.chunk_ids for t in read}
    assert set(after) == {HR_FR, HR_EN, NOTHING, PUBLIC}  # every question stays
    assert not hr_passages & {c for ids in after.values() for c in ids}
    assert public_passage in after[PUBLIC]
