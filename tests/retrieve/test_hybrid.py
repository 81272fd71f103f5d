from datetime import UTC, datetime
from typing import Any

import pytest
from psycopg import Connection

from sourcier.retrieve import HybridRetriever, SearchParams
from sourcier.store import chunks, documents
from sourcier.sync import embed_with_cache
from sourcier.types import Chunk
from tests.conftest import FakeEmbedder

PASSAGES = {
    "rh.md": ("Guide RH", [("Congés", "Les congés payés sont de 25 jours ouvrés par an."),
                           ("Télétravail", "Le télétravail est possible deux jours par semaine."),
                           ("Notes de frais", "Les notes de frais sont remboursées sous 30 jours.")]),
    "it.md": ("Informatique", [("VPN", "Pour le VPN, installez le client et connectez-vous."),
                               ("Mot de passe", "Le mot de passe doit contenir 12 caractères.")]),
    "en.md": ("Security policy", [("Passwords", "Passwords must be changed every ninety days.")]),
}  # fmt: skip


@pytest.fixture
def indexed(conn: Connection[Any], fake_embedder: FakeEmbedder) -> Connection[Any]:
    src = documents.ensure_source(conn, "t", location="/t")
    for uri, (title, sections) in PASSAGES.items():
        meta = documents.DocumentMeta(
            uri, f"/t/{uri}", 1, datetime(2026, 1, 1, tzinfo=UTC), uri.encode(), ("everyone",)
        )
        lang = "en" if uri.startswith("en") else "fr"
        doc = documents.upsert_indexed(conn, src, meta, title=title, mime_type="text/markdown", language=lang,
                                       page_count=None, body="", chunking="c")  # fmt: skip
        cs = [Chunk(i, t, (title, h), None, 0, len(t), "text", 10) for i, (h, t) in enumerate(sections)]
        vecs, _ = embed_with_cache(conn, fake_embedder, [c.embedding_text for c in cs])
        chunks.replace_chunks(conn, doc, cs, vecs, model_id=fake_embedder.model_id, language=lang, acl=["everyone"])
    return conn


def _retriever(emb: FakeEmbedder, mode: str = "hybrid", **kw: Any) -> HybridRetriever:
    return HybridRetriever(embedder=emb, params=SearchParams(k=3, **kw), mode=mode)  # type: ignore[arg-type]


@pytest.mark.parametrize("query", ["teletravail", "TÉLÉTRAVAIL", "télétravail semaines"])
def test_fulltext_is_accent_and_case_insensitive(indexed: Connection[Any], fake_embedder: FakeEmbedder,
                                                 query: str) -> None:  # fmt: skip
    hits = _retriever(fake_embedder, "fulltext").run(indexed, query, principals=["everyone"]).hits
    assert hits and hits[0].heading == "Guide RH > Télétravail"
    assert hits[0].legs == ("fulltext",)


def test_fulltext_matches_singular_and_plural(indexed: Connection[Any], fake_embedder: FakeEmbedder) -> None:
    hits = _retriever(fake_embedder, "fulltext").run(indexed, "un congé", principals=["everyone"]).hits
    assert hits[0].heading == "Guide RH > Congés"
    assert hits[0].coverage == pytest.approx(1.0)


def test_heading_words_are_searchable(indexed: Connection[Any], fake_embedder: FakeEmbedder) -> None:
    hits = _retriever(fake_embedder, "fulltext").run(indexed, "informatique", principals=["everyone"]).hits
    assert {h.path for h in hits} == {"/t/it.md"}


def test_rare_words_weigh_more_than_common_ones(indexed: Connection[Any], fake_embedder: FakeEmbedder) -> None:
    # "jours" is in two passages, "remboursées" in one: BM25's IDF must favour the rare word's passage.
    hits = _retriever(fake_embedder, "fulltext").run(indexed, "jours remboursées", principals=["everyone"]).hits
    assert hits[0].heading == "Guide RH > Notes de frais"
    assert hits[0].fulltext_score is not None and hits[1].fulltext_score is not None
    assert hits[0].fulltext_score > hits[1].fulltext_score


def test_english_question_finds_english_document(indexed: Connection[Any], fake_embedder: FakeEmbedder) -> None:
    hits = (
        _retriever(fake_embedder, "fulltext")
        .run(indexed, "how often must passwords change?", principals=["everyone"])
        .hits
    )
    assert hits[0].path == "/t/en.md"


def test_vector_leg_alone_ranks_by_similarity(indexed: Connection[Any], fake_embedder: FakeEmbedder) -> None:
    hits = _retriever(fake_embedder, "vector").run(indexed, "client VPN installez", principals=["everyone"]).hits
    assert hits[0].heading == "Informatique > VPN"
    assert hits[0].legs == ("vector",)
    sims = [h.vector_similarity for h in hits]
    assert sims == sorted(sims, reverse=True)  # type: ignore[type-var]


@pytest.mark.parametrize("fusion", ["minmax", "rrf"])
def test_hybrid_reports_both_legs_and_fuses(indexed: Connection[Any], fake_embedder: FakeEmbedder,
                                            fusion: str) -> None:  # fmt: skip
    hits = (
        _retriever(fake_embedder, fusion=fusion)
        .run(indexed, "mot de passe 12 caractères", principals=["everyone"])
        .hits
    )
    assert hits[0].heading == "Informatique > Mot de passe"
    assert hits[0].legs == ("fulltext", "vector")
    assert [h.score for h in hits] == sorted([h.score for h in hits], reverse=True)


def test_question_with_no_indexed_word_returns_only_vector_hits(indexed: Connection[Any],
                                                                fake_embedder: FakeEmbedder) -> None:  # fmt: skip
    out = _retriever(fake_embedder).run(indexed, "zzzz qqqq", principals=["everyone"])
    assert all(h.fulltext_rank is None for h in out.hits)
    assert all(h.coverage == 0 for h in out.hits)
