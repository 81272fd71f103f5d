"""The hybrid legs run at once on two connections: the same hits as the single statement, in one snapshot."""

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from psycopg import Connection

from sourcier import store
from sourcier.store import documents
from sourcier.store import search as search_store
from sourcier.store.search import SearchParams, SideLeg
from tests.conftest import FakeEmbedder, add_document

PARAMS = SearchParams(k=5, candidates=20)
AUDIENCES = {
    "bob": ["everyone", "user:bob"],
    "rh": ["everyone", "user:rita", "group:rh"],
    "alice": ["everyone", "user:alice"],
    "nobody": ["user:nobody"],
}
QUESTIONS = ["projet Horizon", "plan social confidentiel", "budget public en mars", "code 7", "rien à voir"]


@pytest.fixture
def corpus(conn: Connection[Any], fake_embedder: FakeEmbedder) -> Connection[Any]:
    add_document(conn, fake_embedder, "public.md", ["everyone"], ["Le projet Horizon démarre en mars, budget public."])
    add_document(conn, fake_embedder, "rh.md", ["group:rh"], ["Projet Horizon : plan social confidentiel, 40 postes."])
    for i in range(12):
        add_document(conn, fake_embedder, f"secret-{i}.md", ["user:alice"], [f"Projet Horizon code {i}", f"annexe {i}"])
    return conn


@pytest.fixture
def side(pg: str) -> Iterator[SideLeg]:
    with store.connect(pg) as c, ThreadPoolExecutor(max_workers=1) as threads:
        yield SideLeg(c, threads)


def _hits(
    conn: Connection[Any], emb: FakeEmbedder, q: str, who: list[str], side: Any = None, params: SearchParams = PARAMS
) -> list[Any]:
    return search_store.search(
        conn, q, emb.embed_query(q), model_id=emb.model_id, params=params, principals=who, side=side
    )


@pytest.mark.parametrize("exact_below", [0, 10**9])  # HNSW, then the exact scan
def test_two_connections_give_the_hits_of_one_statement(
    corpus: Connection[Any], side: SideLeg, fake_embedder: FakeEmbedder, exact_below: int
) -> None:
    params = SearchParams(k=5, candidates=20, exact_below=exact_below)
    for who in AUDIENCES.values():
        for q in QUESTIONS:
            one = _hits(corpus, fake_embedder, q, who, params=params)
            assert _hits(corpus, fake_embedder, q, who, side, params=params) == one, (who, q)
    assert len(_hits(corpus, fake_embedder, "projet Horizon", AUDIENCES["alice"], side)) == PARAMS.k  # not empty


class _ChangeFirst:
    """A side connection that runs `change` (committed on a connection of its own) as its transaction
    begins, when the vector leg starts: after the first connection exported its snapshot."""

    def __init__(self, side: Connection[Any], change: Callable[[], None]) -> None:
        self._side, self._change = side, change

    def transaction(self) -> Any:
        self._change()
        return self._side.transaction()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._side, name)


def test_both_legs_read_one_snapshot(
    corpus: Connection[Any], side: SideLeg, fake_embedder: FakeEmbedder, pg: str
) -> None:
    """An access change committed while the full-text leg runs applies to neither leg: the side connection
    imports the first one's snapshot (else its vector leg would see the change and the other not)."""
    rh = AUDIENCES["rh"]
    before = _hits(corpus, fake_embedder, "plan social confidentiel", rh)
    assert any(h.path == "/t/rh.md" for h in before)
    doc = corpus.execute("SELECT id FROM documents WHERE uri = 'rh.md'").fetchone()
    assert doc is not None

    def revoke() -> None:
        with store.connect(pg) as admin:
            documents.set_acl(admin, doc[0], ("user:alice",))  # committed before the vector leg starts

    changing = SideLeg(_ChangeFirst(side.conn, revoke), side.threads)  # type: ignore[arg-type]  # a stand-in
    during = _hits(corpus, fake_embedder, "plan social confidentiel", rh, changing)
    assert during == before
    after = _hits(corpus, fake_embedder, "plan social confidentiel", rh, side)
    assert all(h.path != "/t/rh.md" for h in after)


def test_a_failing_leg_leaves_both_connections_usable(
    corpus: Connection[Any], side: SideLeg, fake_embedder: FakeEmbedder
) -> None:
    wrong = fake_embedder.embed_query("projet").copy()
    wrong[0] = float("nan")  # pgvector refuses it: the vector leg fails on the side connection
    with pytest.raises(psycopg.errors.DataException):
        search_store.search(
            corpus, "projet", wrong, model_id=fake_embedder.model_id, params=PARAMS, principals=["everyone"], side=side
        )
    assert _hits(corpus, fake_embedder, "projet Horizon", AUDIENCES["bob"], side)
    assert side.conn.execute("SELECT 1").fetchone() == (1,)
