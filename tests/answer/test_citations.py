"""The citation check: markers parsed, passages resolved, support by numbers, stems and embeddings."""

from __future__ import annotations

from sourcier.answer import CitationChecker, SupportRule
from sourcier.types import Hit
from tests.conftest import FakeEmbedder


def _hit(text: str, n: int = 1, title: str = "Guide RH", heading: str = "Guide RH > Télétravail") -> Hit:
    return Hit(n, n, f"/docs/{n}.docx", title, heading, text, None, 0, len(text), 0.9, 1, 5.0, 1, 0.85, 1.0)


TELEWORK = _hit(
    "Chaque salarié éligible peut bénéficier au maximum de 2 jours de télétravail par semaine. "
    "Une indemnité forfaitaire de 2,60 € par jour télétravaillé est versée. Les jours non pris au 30 septembre "
    "sont perdus."
)
CANTEEN = _hit("Le restaurant d'entreprise est ouvert de 11h45 à 14h00. Un repas complet coûte 5,10 €.", 2,
               "Restaurant", "Restaurant > Tarifs")  # fmt: skip
HITS = [TELEWORK, CANTEEN]


def check(text: str, language: str = "fr") -> object:
    return CitationChecker().run(text, HITS, language=language)


def test_supported_citations_are_kept_and_renumbered_in_order_of_use() -> None:
    out = CitationChecker().run(
        "Un repas complet coûte 5,10 € [2]. Le télétravail est limité à 2 jours par semaine [1].", HITS, language="fr"
    )
    assert out.text == "Un repas complet coûte 5,10 € [1]. Le télétravail est limité à 2 jours par semaine [2]."
    assert [(c.number, c.hit.chunk_id) for c in out.citations] == [(1, 2), (2, 1)]
    assert (out.written, out.valid, out.validity, out.flagged) == (2, 2, 1.0, ())
    # the supporting sentence of the passage is highlighted
    (span,) = out.citations[0].highlights
    assert CANTEEN.text[span[0] : span[1]] == "Un repas complet coûte 5,10 €."


def test_a_citation_to_a_passage_that_was_not_given_is_removed_and_its_sentence_flagged() -> None:
    out = CitationChecker().run("Le télétravail est limité à 2 jours par semaine [1][7].", HITS, language="fr")
    assert out.text == "Le télétravail est limité à 2 jours par semaine [1]."
    assert (out.written, out.valid, out.unknown_numbers) == (2, 1, (7,))
    out = CitationChecker().run("La cantine est gratuite le vendredi [3].", HITS, language="fr")
    assert out.text == "La cantine est gratuite le vendredi (non sourcé)." and out.citations == ()
    assert out.flagged == ("La cantine est gratuite le vendredi",) and out.validity == 0.0


def test_an_unsupported_claim_loses_its_citation() -> None:
    out = CitationChecker().run(
        "Le télétravail est limité à 2 jours par semaine [1]. Les salariés reçoivent une prime de 500 € par an [1].",
        HITS,
        language="fr",
    )
    assert out.text == (
        "Le télétravail est limité à 2 jours par semaine [1]. "
        "Les salariés reçoivent une prime de 500 € par an (non sourcé)."
    )
    assert (out.written, out.valid) == (2, 1)


def test_numbers_must_be_in_the_passage_with_their_unit() -> None:
    checker = CitationChecker()
    assert checker.support("Le repas coûte 5,10 €.", CANTEEN, "fr").supported
    assert not checker.support("Le repas coûte 6,50 €.", CANTEEN, "fr").numbers
    # 30 is in the passage, but as "30 septembre": "30 jours" is not supported
    assert not checker.support("On a 30 jours de télétravail.", TELEWORK, "fr").numbers
    # times written either way, thousands with spaces
    assert checker.support("Le restaurant ouvre à 11:45.", CANTEEN, "en").numbers
    assert checker.support("Franco à 1500 €.", _hit("Franco de port à partir de 1 500 € HT."), "fr").numbers


def test_markers_after_the_period_and_lists_of_numbers_are_understood() -> None:
    out = CitationChecker().run("Un repas complet coûte 5,10 €. [2] Le télétravail : 2 jours par semaine [1, 2].", HITS,
                                language="fr")  # fmt: skip
    assert out.text == "Un repas complet coûte 5,10 € [1]. Le télétravail : 2 jours par semaine [2]."
    assert (out.written, out.valid) == (3, 2)


def test_uncited_statements_are_flagged_but_not_introductions() -> None:
    out = CitationChecker().run("Voici la réponse :\nLe repas coûte 5,10 € [2].\nLa direction offre 3 repas.", HITS,
                                language="fr")  # fmt: skip
    assert out.text == "Voici la réponse :\nLe repas coûte 5,10 € [1].\nLa direction offre 3 repas (non sourcé)."
    assert out.flagged == ("La direction offre 3 repas",)


def test_a_paraphrase_is_accepted_through_the_embedding_when_the_stems_fall_short() -> None:
    embedder = FakeEmbedder()
    lexical_only = CitationChecker(rule=SupportRule(min_lexical=0.9))
    with_embedding = CitationChecker(embedder=embedder, rule=SupportRule(min_lexical=0.9, min_similarity=0.5))
    sentence = "Un repas complet coûte 5,10 € au déjeuner."
    assert not lexical_only.support(sentence, CANTEEN, "fr").supported
    support = with_embedding.support(sentence, CANTEEN, "fr")
    assert support.similarity is not None and support.similarity > 0.5 and support.supported


def test_english_answer_markers_and_flag() -> None:
    out = CitationChecker().run("Lunch is free on Fridays [2].", HITS, language="en")
    assert out.text == "Lunch is free on Fridays (unsourced)."
