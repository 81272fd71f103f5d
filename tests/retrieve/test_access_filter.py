"""The access filter: inside both legs, before ranking, backed by row-level security."""

from typing import Any

import pytest
from psycopg import Connection

from sourcier.retrieve import HybridRetriever, SearchParams
from sourcier.store import documents
from sourcier.store import search as search_store
from sourcier.store.search import as_reader
from tests.conftest import FakeEmbedder, add_document

BOB = ["everyone", "user:bob"]
RH = ["everyone", "user:rita", "group:rh"]


@pytest.fixture
def corpus(conn: Connection[Any], fake_embedder: FakeEmbedder) -> Connection[Any]:
    add_document(conn, fake_embedder, "public.md", ["everyone"], ["Le projet Horizon démarre en mars, budget public."])
    add_document(conn, fake_embedder, "rh.md", ["group:rh"], ["Projet Horizon : plan social confidentiel, 40 postes."])
    # Many forbidden passages that match the question better than the one bob may read.
    for i in range(30):
        add_document(conn, fake_embedder, f"secret-{i}.md", ["user:alice"], [f"Projet Horizon projet Horizon code {i}"])
    return conn


def _search(conn: Connection[Any], emb: FakeEmbedder, who: list[str], q: str, mode: str = "hybrid") -> Any:
    r = HybridRetriever(embedder=emb, params=SearchParams(k=5, candidates=20), mode=mode)  # type: ignore[arg-type]
    return r.run(conn, q, principals=who).hits


@pytest.mark.parametrize("mode", ["hybrid", "fulltext", "vector"])
def test_user_sees_only_readable_passages_even_when_forbidden_ones_rank_higher(
    corpus: Connection[Any], fake_embedder: FakeEmbedder, mode: str
) -> None:
    hits = _search(corpus, fake_embedder, BOB, "projet Horizon", mode)
    assert [h.path for h in hits] == ["/t/public.md"]
    rh = {h.path for h in _search(corpus, fake_embedder, RH, "projet Horizon", mode)}
    assert rh == {"/t/public.md", "/t/rh.md"}


def test_scores_are_those_of_an_index_without_the_forbidden_documents(
    corpus: Connection[Any], fake_embedder: FakeEmbedder
) -> None:
    before = [(h.chunk_id, h.score, h.fulltext_score, h.vector_similarity)
              for h in _search(corpus, fake_embedder, BOB, "projet Horizon budget")]  # fmt: skip
    corpus.execute("DELETE FROM documents WHERE NOT ('everyone' = ANY(acl))")
    after = [(h.chunk_id, h.score, h.fulltext_score, h.vector_similarity)
             for h in _search(corpus, fake_embedder, BOB, "projet Horizon budget")]  # fmt: skip
    assert before == after


def test_row_level_security_hides_rows_from_a_query_that_forgets_the_filter(corpus: Connection[Any]) -> None:
    with corpus.transaction(), corpus.cursor() as cur:
        as_reader(cur, BOB)
        cur.execute("SELECT count(*) FROM chunks")
        assert cur.fetchone() == (1,)
        cur.execute("SELECT count(*) FROM documents")
        assert cur.fetchone() == (1,)
        cur.execute("SELECT count(DISTINCT document_id) FROM chunk_terms")
        assert cur.fetchone() == (1,)
        cur.execute("SELECT count(DISTINCT document_id) FROM document_terms")
        assert cur.fetchone() == (1,)
        cur.execute("SELECT count(*) FROM chunks WHERE text LIKE '%%confidentiel%%'")
        assert cur.fetchone() == (0,)


def test_reader_role_cannot_write_or_read_the_embedding_cache(corpus: Connection[Any]) -> None:
    import psycopg

    for statement in ("DELETE FROM chunks", "UPDATE documents SET acl = '{everyone}'",
                      "SELECT count(*) FROM embedding_cache"):  # fmt: skip
        with pytest.raises(psycopg.errors.InsufficientPrivilege), corpus.transaction(), corpus.cursor() as cur:
            as_reader(cur, BOB)
            cur.execute(statement)


def test_revoking_access_takes_effect_at_commit(corpus: Connection[Any], fake_embedder: FakeEmbedder) -> None:
    assert any(h.path == "/t/rh.md" for h in _search(corpus, fake_embedder, RH, "plan social"))
    doc = corpus.execute("SELECT id FROM documents WHERE uri = 'rh.md'").fetchone()
    assert doc is not None
    documents.set_acl(corpus, doc[0], ("user:alice",))
    assert all(h.path != "/t/rh.md" for h in _search(corpus, fake_embedder, RH, "plan social"))


def test_malformed_principals_are_refused(corpus: Connection[Any], fake_embedder: FakeEmbedder) -> None:
    with pytest.raises(ValueError):
        _search(corpus, fake_embedder, ["everyone,user:alice"], "projet")


def _vector_plan(conn: Connection[Any], emb: FakeEmbedder, who: list[str], params: SearchParams) -> set[str]:
    """Indexes the vector leg actually read (nodes executed at least once), under the reader role."""
    qvec = emb.embed_query("projet Horizon")
    plan = search_store.explain(conn, "", qvec, model_id=emb.model_id, params=params, principals=who, mode="vector")

    def nodes(n: dict[str, Any]) -> list[dict[str, Any]]:
        return [n, *(m for c in n.get("Plans", []) for m in nodes(c))]

    return {n["Index Name"] for n in nodes(plan["Plan"]) if "Index Name" in n and n.get("Actual Loops", 0) > 0}


def test_vector_leg_scans_a_small_audience_exactly_and_walks_hnsw_for_a_large_one(
    corpus: Connection[Any], fake_embedder: FakeEmbedder
) -> None:
    # Bob reads one passage: below the threshold, his passages are read through their documents, not HNSW.
    small = _vector_plan(corpus, fake_embedder, BOB, SearchParams(k=5, candidates=20, exact_below=2))
    assert "chunks_document_id_position_key" in small and "chunks_embedding_384" not in small
    large = _vector_plan(corpus, fake_embedder, BOB, SearchParams(k=5, candidates=20, exact_below=1))
    assert "chunks_embedding_384" in large and "chunks_document_id_position_key" not in large


def test_exact_scan_computes_each_distance_once(corpus: Connection[Any], fake_embedder: FakeEmbedder) -> None:
    # Sorting by `distance + 0` (to keep the planner off HNSW) made the scan compute every distance twice.
    params = SearchParams(k=5, candidates=20, exact_below=10**9)
    qvec = fake_embedder.embed_query("projet Horizon")
    plan = search_store.explain(corpus, "", qvec, model_id=fake_embedder.model_id, params=params, principals=RH,
                                mode="vector", analyze=False, verbose=True)  # fmt: skip

    def nodes(n: dict[str, Any]) -> list[dict[str, Any]]:
        return [n, *(m for c in n.get("Plans", []) for m in nodes(c))]

    # The exact branch: the subtree under the Append that reads passages through their documents.
    (append,) = [n for n in nodes(plan["Plan"]) if n["Node Type"] == "Append"]
    (exact,) = [
        b for b in append["Plans"] if any(n.get("Index Name") == "chunks_document_id_position_key" for n in nodes(b))
    ]
    # Every node of it carries the distance in one output column at most (two before: distance, distance + 0).
    per_node = [sum("<=>" in out for out in n.get("Output", [])) for n in nodes(exact)]
    assert max(per_node) == 1, per_node


@pytest.mark.parametrize("who", [BOB, RH, ["everyone", "user:alice"]])
def test_exact_and_hnsw_branches_return_the_same_readable_passages(
    corpus: Connection[Any], fake_embedder: FakeEmbedder, who: list[str]
) -> None:
    def run(exact_below: int) -> list[tuple[int, float | None]]:
        p = SearchParams(k=5, candidates=20, exact_below=exact_below)
        hits = HybridRetriever(embedder=fake_embedder, params=p, mode="vector").run(
            corpus, "projet Horizon", principals=who
        )
        return [(h.chunk_id, h.vector_similarity) for h in hits.hits]

    exact, hnsw = run(10**9), run(0)
    readable = {tuple(BOB): 1, tuple(RH): 2}.get(tuple(who), 5)
    assert len(exact) == readable
    # Same similarities in the same order; alice's 30 near-identical passages tie, so ids may differ there.
    assert [s for _, s in exact] == [s for _, s in hnsw]
    if readable < 5:
        assert exact == hnsw


@pytest.mark.parametrize("table", ["chunks", "documents"])
def test_row_level_security_reads_the_principals_once_per_statement(corpus: Connection[Any], table: str) -> None:
    # A per-row call of the principals function (string_to_array of the setting) cost ~8 ms per 10k rows.
    with corpus.transaction(), corpus.cursor() as cur:
        as_reader(cur, BOB)
        cur.execute(f"EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM {table}")
        plan = "\n".join(r[0] for r in cur.fetchall())
    filters = [line for line in plan.splitlines() if "Filter:" in line or "Cond:" in line]
    assert filters and all("current_setting" not in f for f in filters), plan
    assert "InitPlan" in plan, plan


def _ef_search(conn: Connection[Any], who: list[str], *, vector_leg: bool = True) -> int:
    with conn.transaction(), conn.cursor() as cur:
        search_store.prepare_reader(cur, who, SearchParams(ef_search=400), vector_leg=vector_leg)
        row = cur.execute("SELECT current_setting('hnsw.ef_search')::int").fetchone()
    assert row is not None
    return int(row[0])


def test_the_hnsw_list_grows_as_the_readable_share_shrinks(corpus: Connection[Any]) -> None:
    corpus.execute("ANALYZE chunks")  # the share's denominator is the planner's passage count
    total = corpus.execute("SELECT count(*) FROM chunks").fetchone()
    readable = corpus.execute("SELECT count(*) FROM chunks WHERE acl && %s::text[]", (BOB,)).fetchone()
    assert total is not None and readable is not None and readable[0] < total[0]
    assert _ef_search(corpus, ["everyone", "group:rh", "user:alice"]) == 400  # every passage
    assert _ef_search(corpus, BOB) == min(1000, round(400 / (readable[0] / total[0]) ** 0.25)) > 400
    # Nothing readable counts as one passage: a long list, never a division by zero.
    assert _ef_search(corpus, ["user:nobody"]) == min(1000, round(400 / (1 / total[0]) ** 0.25))
    assert _ef_search(corpus, BOB, vector_leg=False) == 400  # the full-text leg alone does not count
