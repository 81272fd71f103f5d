"""The full-text leg's pruning: exact BM25 over the visible documents, common words read only when needed."""

from dataclasses import replace
from typing import Any

import pytest
from psycopg import Connection

from sourcier.retrieve import HybridRetriever, SearchParams
from sourcier.store import search as search_store
from tests.conftest import FakeEmbedder, add_document

BOB = ["everyone", "user:bob"]
ALICE = ["everyone", "user:alice"]
PARAMS = SearchParams(k=5, candidates=5)
ALL_IN_FULL = replace(PARAMS, postings_budget=10**9)  # capped at half the readable passages
PRUNED = replace(PARAMS, postings_budget=1)  # only the rarest word read in full

# The reference: BM25 as a textbook writes it, over the postings of the caller's documents, as the owner
# and without any pruning or shared SQL (Robertson idf, tf = body + heading_boost * heading occurrences).
_PLAIN_BM25 = """
WITH q AS (
    SELECT DISTINCT (unnest(to_tsvector('fr_unaccent'::regconfig, %(q)s))).lexeme, 'fr' AS language
    UNION SELECT DISTINCT (unnest(to_tsvector('en_unaccent'::regconfig, %(q)s))).lexeme, 'en'
),
docs AS (SELECT id, n_chunks, n_terms FROM documents WHERE status = 'indexed' AND acl && %(who)s::text[]),
s AS (SELECT sum(n_chunks)::float8 AS n, sum(n_terms)::float8 / sum(n_chunks) AS avgdl FROM docs),
p AS (
    SELECT t.*, (t.tf_body + %(hb)s * t.tf_head)::float8 AS tf, count(*) OVER (PARTITION BY t.lexeme, t.language) AS df
    FROM chunk_terms AS t JOIN q USING (lexeme, language) WHERE t.document_id IN (SELECT id FROM docs)
)
SELECT x.chunk_id, x.score FROM (
    SELECT p.chunk_id,
           sum(ln(1 + (s.n - p.df + 0.5) / (p.df + 0.5)) * p.tf * (%(k1)s + 1)
               / (p.tf + %(k1)s * (1 - %(b)s + %(b)s * p.dl / s.avgdl))) AS score
    FROM p CROSS JOIN s GROUP BY p.chunk_id
) AS x JOIN chunks AS c ON c.id = x.chunk_id JOIN documents AS d ON d.id = c.document_id
ORDER BY x.score DESC, d.path, d.uri, c.position LIMIT %(k)s  -- equal scores by content, as retrieval does
"""


def _plain_bm25(conn: Connection[Any], who: list[str], q: str, k: int) -> list[tuple[int, float]]:
    values = {"q": q, "who": who, "k": k, "k1": PARAMS.k1, "b": PARAMS.b, "hb": PARAMS.heading_boost}
    return [(int(c), float(sc)) for c, sc in conn.execute(_PLAIN_BM25, values)]


@pytest.fixture
def corpus(conn: Connection[Any], fake_embedder: FakeEmbedder) -> Connection[Any]:
    # "projet" and "réunion" are common, "Zéphyr" rare: a question naming Zéphyr is decided by it.
    for d in range(6):
        add_document(conn, fake_embedder, f"public-{d}.md", ["everyone"], [
            f"Le projet {d} avance, réunion du comité lundi." + " projet" * (i % 3) for i in range(8)
        ])  # fmt: skip
    add_document(conn, fake_embedder, "zephyr.md", ["everyone"], [
        "Le projet Zéphyr démarre." + " Zéphyr" * i + " réunion" * (i % 2) for i in range(7)
    ])  # fmt: skip
    # Forbidden passages that would change every statistic (and rank first) if they counted.
    for d in range(3):
        secret = ["Zéphyr Zéphyr Zéphyr projet confidentiel"] * 10
        add_document(conn, fake_embedder, f"secret-{d}.md", ["user:alice"], secret)
    return conn


def _hits(conn: Connection[Any], emb: FakeEmbedder, who: list[str], q: str, p: SearchParams) -> list[tuple[int, float]]:
    out = HybridRetriever(embedder=emb, params=p, mode="fulltext").run(conn, q, principals=who)
    return [(h.chunk_id, h.fulltext_score) for h in out.hits]  # type: ignore[misc]


# Bob's few survivors get their common words probed one by one; alice's (30 more passages name Zéphyr)
# are many against the common words' postings, which are then read in full: both ways are checked.
@pytest.mark.parametrize("budget", [1, 60])
@pytest.mark.parametrize("who", [BOB, ALICE])
def test_pruned_ranking_equals_plain_bm25_and_reads_fewer_postings(
    corpus: Connection[Any], fake_embedder: FakeEmbedder, who: list[str], budget: int
) -> None:
    q, params = "réunion du projet Zéphyr", replace(PRUNED, postings_budget=budget)
    plan = search_store.fulltext_pruning(corpus, q, params=params, principals=who)
    assert plan.exact, plan  # the bound held: the common words' postings were not read in full
    assert plan.common_postings > 0
    full, pruned = _plain_bm25(corpus, who, q, PARAMS.k), _hits(corpus, fake_embedder, who, q, params)
    assert [c for c, _ in pruned] == [c for c, _ in full]
    assert [s for _, s in pruned] == pytest.approx([s for _, s in full], rel=1e-12)


def test_when_the_bound_does_not_hold_every_posting_is_read(
    corpus: Connection[Any], fake_embedder: FakeEmbedder
) -> None:
    # 20 candidates wanted, 7 passages name Zéphyr: passages holding only "comité" must be scored too.
    q, wide = "Zéphyr comité", replace(PRUNED, k=20, candidates=20)
    assert not search_store.fulltext_pruning(corpus, q, params=wide, principals=BOB).exact
    full = _plain_bm25(corpus, BOB, q, 20)
    pruned = _hits(corpus, fake_embedder, BOB, q, wide)
    assert len(pruned) == 20
    assert [c for c, _ in pruned] == [c for c, _ in full]
    assert [s for _, s in pruned] == pytest.approx([s for _, s in full], rel=1e-12)


def test_the_budget_shrinks_to_half_the_readable_passages(corpus: Connection[Any], fake_embedder: FakeEmbedder) -> None:
    q = "réunion du projet Zéphyr"
    # Bob reads 55 passages: under the small-audience floor, every posting of the question is read.
    plan = search_store.fulltext_pruning(corpus, q, params=ALL_IN_FULL, principals=BOB)
    assert plan.common_postings == 0, plan
    # With the floor lowered, "réunion" and "projet" (in most of them) stay common whatever the budget.
    floor = replace(ALL_IN_FULL, small_budget=1)
    plan = search_store.fulltext_pruning(corpus, q, params=floor, principals=BOB)
    assert plan.exact and plan.common_postings > 0 and plan.essential_postings <= 55 // 2, plan
    got, plain = _hits(corpus, fake_embedder, BOB, q, floor), _plain_bm25(corpus, BOB, q, PARAMS.k)
    assert [c for c, _ in got] == [c for c, _ in plain]
    assert [s for _, s in got] == pytest.approx([s for _, s in plain], rel=1e-12)


@pytest.mark.parametrize("budget", [1, 10**9])
def test_fulltext_mode_prunes_at_depth_k_and_returns_the_top_k_of_the_deeper_ranking(
    corpus: Connection[Any], fake_embedder: FakeEmbedder, budget: int
) -> None:
    # Fulltext mode computes only its k best (the bound prunes against the 3rd score, not the 20th):
    # those must be exactly the first k of the ranking computed 20 deep.
    q = "réunion du projet Zéphyr"
    deep = _plain_bm25(corpus, BOB, q, 20)
    shallow = _hits(corpus, fake_embedder, BOB, q, replace(PARAMS, k=3, candidates=20, postings_budget=budget))
    assert len(deep) == 20
    assert [c for c, _ in shallow] == [c for c, _ in deep[:3]]
    assert [s for _, s in shallow] == pytest.approx([s for _, s in deep[:3]], rel=1e-12)


def test_when_the_bound_holds_for_the_commonest_words_only_the_others_are_read_in_full(
    conn: Connection[Any], fake_embedder: FakeEmbedder
) -> None:
    # "alpha" (the rarest, read in full) is in 12 passages, "bêta" in 16, "gamma" in 24, "commun" in all
    # (a tiny bound). A passage holding bêta, gamma and commun could outscore the 5th best holding alpha,
    # one holding only gamma and commun cannot: bêta is read in full after all, gamma and commun are not.
    passages = [
        ("alpha" if i % 5 == 0 else "bêta " * (i % 3 == 0) + "gamma" * (i % 2 == 0)) + " commun texte" * (1 + i % 2)
        for i in range(1, 61)
    ]  # fmt: skip
    add_document(conn, fake_embedder, "mots.md", ["everyone"], passages)
    q, params = "alpha bêta gamma commun", replace(PRUNED, k=5, candidates=5)
    plan = search_store.fulltext_pruning(conn, q, params=params, principals=BOB)
    assert not plan.exact and plan.promoted_words == 1 and plan.survivors < 60 - 12, plan
    got, plain = _hits(conn, fake_embedder, BOB, q, params), _plain_bm25(conn, BOB, q, 5)
    assert [c for c, _ in got] == [c for c, _ in plain]
    assert [s for _, s in got] == pytest.approx([s for _, s in plain], rel=1e-12)


@pytest.mark.parametrize("params", [PRUNED, ALL_IN_FULL])
def test_pruned_scores_are_those_of_an_index_without_the_forbidden_documents(
    corpus: Connection[Any], fake_embedder: FakeEmbedder, params: SearchParams
) -> None:
    q = "réunion du projet Zéphyr"
    before = _hits(corpus, fake_embedder, BOB, q, params)
    plan_before = search_store.fulltext_pruning(corpus, q, params=params, principals=BOB)
    corpus.execute("DELETE FROM documents WHERE NOT ('everyone' = ANY(acl))")
    assert _hits(corpus, fake_embedder, BOB, q, params) == before
    # The plan itself (and so the work done) depends on the visible documents only.
    assert search_store.fulltext_pruning(corpus, q, params=params, principals=BOB) == plan_before


def _chunk_terms_rows(conn: Connection[Any], who: list[str], q: str, p: SearchParams) -> int:
    """Rows the full-text statement read from chunk_terms under the reader role (EXPLAIN ANALYZE)."""
    plan = search_store.explain(conn, q, None, model_id="", params=p, principals=who, mode="fulltext")

    def nodes(n: dict[str, Any]) -> list[dict[str, Any]]:
        return [n, *(m for c in n.get("Plans", []) for m in nodes(c))]

    scans = [n for n in nodes(plan["Plan"]) if n.get("Relation Name") == "chunk_terms"]
    assert scans and all(n["Node Type"] != "Seq Scan" for n in scans), scans
    return sum(int(n["Actual Rows"] * n["Actual Loops"]) for n in scans)


@pytest.mark.parametrize("params", [PRUNED, ALL_IN_FULL])
def test_postings_of_forbidden_documents_are_never_read(
    corpus: Connection[Any], fake_embedder: FakeEmbedder, params: SearchParams
) -> None:
    # Forbidden postings of the question's words outnumber every posting bob's documents hold, so a plan
    # that read any word's whole posting list (then filtered) would read more than bob's documents hold.
    for d in range(10):
        add_document(corpus, fake_embedder, f"more-secret-{d}.md", ["user:alice"], ["Zéphyr projet réunion"] * 40)
    q = "réunion du projet Zéphyr"
    counts = corpus.execute(
        "SELECT count(*) FILTER (WHERE 'everyone' = ANY (d.acl)),"
        "       count(*) FILTER (WHERE NOT 'everyone' = ANY (d.acl) AND t.lexeme IN ('projet', 'zephyr', 'reunion'))"
        " FROM chunk_terms t JOIN documents d ON d.id = t.document_id"
    ).fetchone()
    assert counts is not None and counts[1] > counts[0]
    read = _chunk_terms_rows(corpus, BOB, q, params)
    assert 0 < read <= counts[0]


def test_the_lower_bound_probes_the_best_partial_passages_once(corpus: Connection[Any]) -> None:
    # `pruning` reads the lower bound twice; an inlined `top_full` probed the best passages' common words twice.
    # (CTE names: those of the statement as docs/sql/search-fulltext.sql shows it.)
    q = "projet Zéphyr réunion"
    plan = search_store.explain(corpus, q, None, model_id="", params=PRUNED, principals=BOB, mode="fulltext")

    def nodes(n: dict[str, Any]) -> list[dict[str, Any]]:
        return [n, *(m for c in n.get("Plans", []) for m in nodes(c))]

    probed = [
        n for n in nodes(plan["Plan"])
        if n["Node Type"] == "CTE Scan" and n.get("CTE Name") == "top_partial" and n.get("Actual Loops", 0) > 0
    ]  # fmt: skip
    assert len(probed) == 1, [n.get("Alias") for n in probed]


# A vocabulary of Zipf-like frequencies: a few words in most passages, many in a few; French words so that
# the French stemmer keeps them apart.
_WORDS = ("le de la projet réunion comité budget équipe rapport contrat client usine stock transport "
          "qualité audit sécurité formation salaire prime congé mutuelle retraite horaire badge parking "
          "cantine serveur réseau licence facture devis remise litige sinistre garantie").split()  # fmt: skip


@pytest.fixture
def zipf_corpus(conn: Connection[Any], fake_embedder: FakeEmbedder) -> Connection[Any]:
    import random

    rng = random.Random(7)
    weights = [1 / (r + 1) ** 1.1 for r in range(len(_WORDS))]
    for d in range(8):
        passages = [" ".join(rng.choices(_WORDS, weights, k=rng.randint(4, 40))) for _ in range(25)]
        add_document(conn, fake_embedder, f"z-{d}.md", ["everyone"] if d < 6 else ["user:alice"], passages)
    return conn


def _same_ranking(got: list[tuple[int, float]], plain: list[tuple[int, float]]) -> None:
    """Equal scores in order; passage ids equal wherever the score is not tied (ties may come in any order,
    as sums in another order can differ in their last bits)."""
    assert [s for _, s in got] == pytest.approx([s for _, s in plain], rel=1e-12)
    scores = [s for _, s in plain]
    tied = {round(s, 9) for i, s in enumerate(scores) if any(abs(s - t) < 1e-9 for t in scores[:i] + scores[i + 1 :])}
    assert [c for c, s in got if round(s, 9) not in tied] == [c for c, s in plain if round(s, 9) not in tied]


@pytest.mark.parametrize("budget", [1, 40, 10**9])
@pytest.mark.parametrize("k", [3, 10])
def test_every_budget_and_depth_ranks_like_plain_bm25_on_a_zipf_corpus(
    zipf_corpus: Connection[Any], fake_embedder: FakeEmbedder, budget: int, k: int
) -> None:
    """Many questions mixing common and rare words, so that words are pruned, promoted and added in every
    stage: each ranking equals plain BM25's, for a reader of some documents and one of all of them."""
    import random

    rng = random.Random(11)
    # small_budget 1: let the budget decide on this small corpus
    params = replace(PARAMS, k=k, candidates=k, postings_budget=budget, small_budget=1)
    for _ in range(40):
        q = " ".join(rng.sample(_WORDS, rng.randint(2, 9)))
        for who in (BOB, ALICE):
            _same_ranking(_hits(zipf_corpus, fake_embedder, who, q, params), _plain_bm25(zipf_corpus, who, q, k))


@pytest.mark.parametrize("who", [BOB, ALICE])
def test_the_lower_bound_sits_under_the_scores_it_was_taken_from(corpus: Connection[Any], who: list[str]) -> None:
    """The same passage's score, summed in another order further on, may come out a unit lower in the last
    place: a bound equal to it would then drop that very passage from the top. The bound is kept a
    relative 1e-9 under the candidates-th full score it comes from."""
    plan = search_store.fulltext_pruning(corpus, "réunion du projet Zéphyr", params=PRUNED, principals=who)
    source = plan.first_bound_source
    assert source is not None and source * (1 - 1e-6) < plan.lower_bound < source


@pytest.mark.parametrize("shape", [{"stages": 1}, {"stages": 3}, {"best_of": 1, "probe_cost": 1}])
def test_other_statement_shapes_rank_like_plain_bm25(
    zipf_corpus: Connection[Any], fake_embedder: FakeEmbedder, shape: dict[str, int]
) -> None:
    """The fields formatted into the statement (stages, best_of, probe_cost) change the work, never the
    ranking."""
    import random

    rng = random.Random(13)
    params = replace(PARAMS, k=3, candidates=3, postings_budget=1, small_budget=1, **shape)  # type: ignore[arg-type]
    for _ in range(15):
        q = " ".join(rng.sample(_WORDS, rng.randint(2, 9)))
        for who in (BOB, ALICE):
            _same_ranking(_hits(zipf_corpus, fake_embedder, who, q, params), _plain_bm25(zipf_corpus, who, q, 3))
