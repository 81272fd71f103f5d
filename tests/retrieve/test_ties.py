"""Equal scores are ranked by content (document path, then position), never by id: ids are opaque, and
the hidden documents of an index must not change which of two equal passages a user gets, or in what
order."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from psycopg import Connection

from sourcier import store
from sourcier.store import search as search_store
from sourcier.store.search import SearchParams, SideLeg
from tests.conftest import FakeEmbedder, add_document

BOB = ["everyone", "user:bob"]
TEXT = "Règlement intérieur : horaires d'ouverture du site."
QUESTION = "horaires d'ouverture"
# Written in this order, so that neither id order nor insertion order is path order.
PUBLIC = ["m.md", "c.md", "x.md", "a.md", "q.md", "f.md"]


def _corpus(conn: Connection[Any], emb: FakeEmbedder, *, hidden: bool) -> None:
    for i, name in enumerate(PUBLIC):
        if hidden:  # equal passages bob may not read, before each of his (ids between his)
            add_document(conn, emb, f"b-secret-{i}.md", ["user:alice"], [TEXT])
        add_document(conn, emb, name, ["everyone"], [TEXT, f"Annexe {i} : plan du parking."])


def _hits(conn: Connection[Any], emb: FakeEmbedder, mode: str, params: SearchParams, side: Any = None) -> list[Any]:
    return search_store.search(conn, QUESTION, emb.embed_query(QUESTION), model_id=emb.model_id, params=params,
                               principals=BOB, mode=mode, side=side)  # type: ignore[arg-type]  # fmt: skip


def _seen(hits: list[Any]) -> list[tuple[Any, ...]]:
    return [(h.path, h.text, h.score, h.fulltext_rank, h.vector_rank) for h in hits]


# Vector mode hands over k = 3 candidates, hybrid 4: six equal passages cross the cut in every leg, and
# the exact vector scan must fetch every tie (its bounded sort alone would cut them by scan order).
CASES = [("fulltext", SearchParams(k=3)), ("vector", SearchParams(k=3)), ("hybrid", SearchParams(k=3, candidates=4))]


@pytest.mark.parametrize(("mode", "params"), CASES)
def test_equal_passages_rank_by_path_with_or_without_hidden_documents(
    conn: Connection[Any], fake_embedder: FakeEmbedder, mode: str, params: SearchParams
) -> None:
    _corpus(conn, fake_embedder, hidden=True)
    with_hidden = _hits(conn, fake_embedder, mode, params)
    assert [h.path for h in with_hidden] == ["/t/a.md", "/t/c.md", "/t/f.md"]
    assert len({h.score for h in with_hidden}) == 1
    conn.execute("DELETE FROM documents")
    _corpus(conn, fake_embedder, hidden=False)
    assert _seen(_hits(conn, fake_embedder, mode, params)) == _seen(with_hidden)


def test_each_leg_ranks_its_ties_by_path(conn: Connection[Any], fake_embedder: FakeEmbedder) -> None:
    _corpus(conn, fake_embedder, hidden=True)
    hits = _hits(conn, fake_embedder, "hybrid", SearchParams(k=6, candidates=6))
    assert [h.path for h in hits] == ["/t/a.md", "/t/c.md", "/t/f.md", "/t/m.md", "/t/q.md", "/t/x.md"]
    assert [h.fulltext_rank for h in hits] == [1, 2, 3, 4, 5, 6]
    assert [h.vector_rank for h in hits] == [1, 2, 3, 4, 5, 6]


def test_legs_on_two_connections_break_ties_the_same_way(
    conn: Connection[Any], fake_embedder: FakeEmbedder, pg: str
) -> None:
    _corpus(conn, fake_embedder, hidden=True)
    params = SearchParams(k=3, candidates=4)
    with store.connect(pg) as c, ThreadPoolExecutor(max_workers=1) as threads:
        side = SideLeg(c, threads)
        assert _hits(conn, fake_embedder, "hybrid", params, side) == _hits(conn, fake_embedder, "hybrid", params)


def test_a_fusion_tie_goes_to_the_passage_holding_the_question_s_words(
    conn: Connection[Any], fake_embedder: FakeEmbedder
) -> None:
    # Min-max over two short lists: one passage first in full text and last in vectors, the other first
    # in vectors only; equal fused scores, and the path alone would put the wrong one first.
    add_document(conn, fake_embedder, "a-budget.md", ["everyone"],
                 ["Le budget confidentiel du projet Zéphyrine est de 4 321 987 euros."])  # fmt: skip
    add_document(conn, fake_embedder, "teletravail.md", ["everyone"],
                 ["Le télétravail est possible deux jours par semaine, le lundi et le vendredi."])  # fmt: skip
    q = "télétravail combien de jours ?"
    hits = search_store.search(conn, q, fake_embedder.embed_query(q), model_id=fake_embedder.model_id,
                               params=SearchParams(k=2), principals=BOB)  # fmt: skip
    assert hits[0].score == hits[1].score and hits[0].coverage > hits[1].coverage == 0
    assert [h.path for h in hits] == ["/t/teletravail.md", "/t/a-budget.md"]
