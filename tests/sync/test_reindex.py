"""Changing the embedding model: new vectors built beside the old ones, searches on the old ones until the
switch, one transaction to switch, nothing embedded twice; and re-cutting when the chunking changes."""

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from psycopg import Connection

from sourcier import store
from sourcier.config import Settings
from sourcier.embed._base import Vectors
from sourcier.errors import EmbeddingModelMismatch
from sourcier.retrieve import HybridRetriever, SearchParams
from sourcier.store import chunks as chunk_store
from sourcier.store import embeddings as emb_store
from sourcier.store import sources
from sourcier.sync import Reindexer, SyncEngine, Worker, embed_with_cache
from sourcier.types import Chunk
from tests.conftest import FakeEmbedder, OtherFakeEmbedder

_NOTES = {
    "conges.md": "# Congés\n\nLes congés payés comptent vingt-cinq jours ouvrés par an.\n",
    "teletravail.md": "# Télétravail\n\nLe télétravail est possible deux jours par semaine.\n",
    "vpn.md": "# VPN\n\nInstallez le client VPN puis connectez-vous avec votre badge.\n",
    "cantine.md": "# Cantine\n\nLa cantine ouvre à midi, le menu change chaque lundi.\n",
    "parking.md": "# Parking\n\nLe parking du personnel est au sous-sol, accès par badge.\n",
    "copie-conges.md": "# Congés\n\nLes congés payés comptent vingt-cinq jours ouvrés par an.\n",  # same passage
    "frais.md": "# Frais\n\nLes notes de frais sont remboursées sous trente jours.\n",
    "mutuelle.md": "# Mutuelle\n\nLa mutuelle couvre le salarié et sa famille dès l'embauche.\n",
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    for name, text in _NOTES.items():
        (root / name).write_text(text, "utf-8")
    return root


def _sync(conn: Connection[Any], settings: Settings, emb: FakeEmbedder) -> Any:
    return SyncEngine(settings=settings, embedder=emb).run(conn, "docs")


def _top(conn: Connection[Any], emb: FakeEmbedder, question: str) -> list[tuple[str, str, float]]:
    hits = (
        HybridRetriever(embedder=emb, params=SearchParams(k=3), mode="vector")
        .run(conn, question, principals=["everyone"])
        .hits
    )
    return [(Path(h.path).name, h.text, round(h.vector_similarity or 0, 6)) for h in hits]


def _distinct_texts(conn: Connection[Any]) -> int:
    row = conn.execute("SELECT count(DISTINCT text_hash) FROM chunks").fetchone()
    return int(row[0]) if row else 0


class _CrashingEmbedder(OtherFakeEmbedder):
    """Model B on a machine that dies after its first batch (the process would be killed; here it raises)."""

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        if self.calls >= 1:
            raise KeyboardInterrupt  # what Ctrl-C or a dying process looks like to the code in flight
        return super().embed_passages(texts)


def test_switching_model_keeps_search_on_the_old_vectors_until_complete_then_switches_in_one_go(
    conn: Connection[Any], settings: Settings, folder: Path
) -> None:
    a, b_runs = FakeEmbedder(), [_CrashingEmbedder(), OtherFakeEmbedder(), OtherFakeEmbedder()]
    sources.add_source(conn, name="docs", kind="filesystem", location=str(folder), every_s=None, read=["everyone"])
    assert _sync(conn, settings, a).counts["new"] == 8
    question = "congés payés vingt-cinq"
    before = _top(conn, a, question)
    assert before[0][0] in {"conges.md", "copie-conges.md"} and before[0][2] > 0.5, before

    # Half-way: the first batch of B is cached, then the process dies.
    with pytest.raises(KeyboardInterrupt):
        Reindexer(embedder=b_runs[0], batch=2).run(conn)
    assert len(b_runs[0].embedded) == 2
    # Resumed with a limit, stopped again before the end.
    stopped = Reindexer(embedder=b_runs[1], batch=2).run(conn, limit=2)
    assert not stopped.switched and stopped.embedded == 2 and stopped.previous == a.model_id
    assert emb_store.models(conn)["building"].model_id == b_runs[1].model_id
    # Meanwhile: searches answer with A's vectors, exactly as before; B's questions and passages are refused.
    assert _top(conn, a, question) == before
    with pytest.raises(EmbeddingModelMismatch, match="sourcier reindex"):
        _top(conn, OtherFakeEmbedder(), question)
    with pytest.raises(EmbeddingModelMismatch):
        _sync(conn, settings, OtherFakeEmbedder())
    # ... and syncs on A go on: an edit brings a passage that B must also get before the switch.
    (folder / "vpn.md").write_text("# VPN\n\nLe VPN se lance depuis le menu, avec votre badge.\n", "utf-8")
    assert _sync(conn, settings, a).counts["modified"] == 1

    done = Reindexer(embedder=b_runs[2], batch=2).run(conn)
    assert done.switched and done.replaced == 8 and done.previous == a.model_id
    embedded_by_b = [t for b in b_runs for t in b.embedded]
    assert len(embedded_by_b) == len(set(embedded_by_b)) == _distinct_texts(conn) == 7  # each text once
    rows = conn.execute("SELECT embedding_model, embedding_dim, count(*) FROM chunks GROUP BY 1, 2").fetchall()
    assert rows == [(b_runs[2].model_id, 256, 8)]
    assert conn.execute("SELECT count(*) FROM embedding_cache WHERE model_id = %s", (a.model_id,)).fetchone() == (0,)
    assert emb_store.models(conn).keys() == {"active"} and emb_store.active_model(conn).model_id == b_runs[2].model_id  # type: ignore[union-attr]
    after = _top(conn, OtherFakeEmbedder(), question)
    assert after[0][0] in {"conges.md", "copie-conges.md"} and after[0][1] == before[0][1]
    with pytest.raises(EmbeddingModelMismatch):
        _top(conn, a, question)
    # Syncs now run on B, and cost nothing: the passages already have B's vectors.
    again = OtherFakeEmbedder()
    assert _sync(conn, settings, again).counts.get("embedded", 0) == 0 and again.embedded == []

    # And back to A: A's vectors were dropped with the switch, so A embeds every text once more.
    a2 = FakeEmbedder()
    back = Reindexer(embedder=a2).run(conn)
    assert back.switched and back.previous == b_runs[2].model_id and len(a2.embedded) == 7
    assert _top(conn, a2, question)[0][2] == before[0][2]
    assert conn.execute("SELECT DISTINCT embedding_model, embedding_dim FROM chunks").fetchall() == [(a.model_id, 384)]


def test_keeping_the_previous_vectors_makes_switching_back_free(
    conn: Connection[Any], settings: Settings, folder: Path
) -> None:
    sources.add_source(conn, name="docs", kind="filesystem", location=str(folder), every_s=None, read=["everyone"])
    _sync(conn, settings, FakeEmbedder())
    assert Reindexer(embedder=OtherFakeEmbedder(), keep_previous=True).run(conn).switched
    a = FakeEmbedder()
    back = Reindexer(embedder=a).run(conn)
    assert back.switched and back.embedded == 0 and back.reused == 8 and a.embedded == []
    assert Reindexer(embedder=a).run(conn).replaced == 0  # already there: nothing to do


def test_a_reindex_on_an_empty_index_just_adopts_the_model(conn: Connection[Any]) -> None:
    report = Reindexer(embedder=OtherFakeEmbedder()).run(conn)
    assert report.switched and report.previous is None and report.embedded == 0
    assert emb_store.active_model(conn) == emb_store.ModelRecord("fake/bag-of-words-256", 256, "active")


def test_changed_chunk_size_re_cuts_every_document_and_embeds_only_new_passages(
    conn: Connection[Any], settings: Settings, folder: Path
) -> None:
    long = " ".join(f"Phrase {i} sur les horaires de la cantine et du parking." for i in range(40))
    (folder / "long.md").write_text(f"# Horaires\n\n{long}\n", "utf-8")
    sources.add_source(conn, name="docs", kind="filesystem", location=str(folder), every_s=None, read=["everyone"])
    emb = FakeEmbedder()
    first = _sync(conn, settings, emb)
    assert first.counts["new"] == 9
    long_before = conn.execute("SELECT n_chunks FROM documents WHERE uri = 'long.md'").fetchone()
    assert _sync(conn, settings, emb).counts.get("modified", 0) == 0  # same settings: nothing re-read
    smaller = settings.model_copy(update={"chunk_tokens": 64, "chunk_overlap": 8})
    embedded_before = len(emb.embedded)
    report = _sync(conn, smaller, emb)
    assert report.counts["modified"] == 9  # every document re-cut on the next sync
    long_after = conn.execute("SELECT n_chunks FROM documents WHERE uri = 'long.md'").fetchone()
    assert long_before is not None and long_after is not None and long_after[0] > long_before[0]
    new_texts = emb.embedded[embedded_before:]
    assert new_texts and all("Phrase" in t for t in new_texts)  # the short notes' passages were reused
    assert report.counts["embedded"] == len(new_texts)
    assert _sync(conn, smaller, emb).counts.get("modified", 0) == 0


def test_a_document_written_while_the_switch_waits_gets_the_new_vectors_and_old_writers_are_refused_after(
    conn: Connection[Any], pg: str, settings: Settings, folder: Path
) -> None:
    a, b = FakeEmbedder(), OtherFakeEmbedder()
    sources.add_source(conn, name="docs", kind="filesystem", location=str(folder), every_s=None, read=["everyone"])
    _sync(conn, settings, a)
    doc_id = conn.execute("SELECT id FROM documents WHERE uri = 'cantine.md'").fetchone()[0]  # type: ignore[index]
    late = [Chunk(0, "La cantine ferme exceptionnellement vendredi.", ("Cantine",), None, 0, 10, "text", 8)]
    reports: list[Any] = []
    with store.connect(pg) as writer:
        with writer.transaction():  # a sync on model A, in the middle of a document
            emb_store.hold_active(writer, a.model_id, a.dimension)
            switching = threading.Thread(target=lambda: reports.append(Reindexer(embedder=b).run(conn)))
            switching.start()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not _waits_on_a_lock(writer, conn.info.backend_pid):
                time.sleep(0.05)
            assert _waits_on_a_lock(writer, conn.info.backend_pid), "the switch did not wait for the document"
            vecs, _ = embed_with_cache(writer, a, [c.embedding_text for c in late])
            chunk_store.replace_chunks(writer, doc_id, late, vecs, model_id=a.model_id, language="fr", acl=["everyone"])
        switching.join(timeout=30)
        assert reports and reports[0].switched
        rows = conn.execute("SELECT embedding_model, count(*) FROM chunks GROUP BY 1").fetchall()
        assert rows == [(b.model_id, 8)]  # the passage written during the wait was switched too
        assert late[0].embedding_text in b.embedded
        with pytest.raises(EmbeddingModelMismatch), writer.transaction():
            emb_store.hold_active(writer, a.model_id, a.dimension)


def _waits_on_a_lock(conn: Connection[Any], pid: int) -> bool:
    row = conn.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
    return row is not None and row[0] == "Lock"


def test_a_worker_on_another_model_than_the_index_refuses_to_start(
    conn: Connection[Any], settings: Settings, folder: Path
) -> None:
    sources.add_source(conn, name="docs", kind="filesystem", location=str(folder), every_s=None, read=["everyone"])
    _sync(conn, settings, FakeEmbedder())
    with pytest.raises(EmbeddingModelMismatch, match="fake/bag-of-words-256"):
        Worker(settings=settings, embedder=OtherFakeEmbedder()).run(conn, idle_exit_s=0)
    assert Worker(settings=settings, embedder=FakeEmbedder()).run(conn, idle_exit_s=0).failed == []


def test_an_index_emptied_of_its_passages_takes_the_next_writers_model(
    conn: Connection[Any], settings: Settings, folder: Path
) -> None:
    sources.add_source(conn, name="docs", kind="filesystem", location=str(folder), every_s=None, read=["everyone"])
    _sync(conn, settings, FakeEmbedder())
    sources.remove_source(conn, "docs")  # every passage gone: nothing to rebuild
    assert _top(conn, OtherFakeEmbedder(), "badge") == []  # no passages, no mismatch to report
    sources.add_source(conn, name="docs", kind="filesystem", location=str(folder), every_s=None, read=["everyone"])
    b = OtherFakeEmbedder()
    assert _sync(conn, settings, b).counts["new"] == 8
    assert emb_store.active_model(conn) == emb_store.ModelRecord(b.model_id, 256, "active")
    assert _top(conn, b, "badge parking")[0][0] == "parking.md"
