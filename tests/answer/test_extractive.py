from sourcier.answer import I_DONT_KNOW, ExtractiveAnswerer, highlight_sentences
from sourcier.types import Hit


def _hit(text: str, *, coverage: float = 1.0, ft: int | None = 1, vec: int | None = 1, n: int = 1) -> Hit:
    return Hit(n, n, f"/docs/{n}.docx", "Guide RH", "Guide RH > Télétravail", text, 3, 100, 100 + len(text), 0.9,
               ft, 5.0 if ft else None, vec, 0.85 if vec else None, coverage)  # fmt: skip


TEXT = "Le télétravail est ouvert à tous. Il est limité à deux jours par semaine. La cantine ferme à 14 h."


def test_highlight_picks_the_sentence_sharing_the_question_words() -> None:
    spans = highlight_sentences("Combien de jours de teletravail par semaine ?", TEXT, "fr", max_sentences=1)
    assert [TEXT[s:e] for s, e in spans] == ["Il est limité à deux jours par semaine."]


def test_highlight_returns_nothing_when_no_word_is_shared() -> None:
    assert highlight_sentences("prix des imprimantes", TEXT, "fr") == ()


def test_answer_cites_passages_with_page_and_highlights() -> None:
    answer = ExtractiveAnswerer().run("jours de télétravail par semaine ?", [_hit(TEXT)], language="fr")
    assert answer.found
    assert answer.citations[0].number == 1 and answer.citations[0].hit.page == 3
    assert "[1] " in answer.text and "deux jours par semaine" in answer.text
    assert answer.citations[0].highlights


def test_nothing_relevant_gives_i_dont_know_in_the_question_language() -> None:
    weak = _hit(TEXT, coverage=0.2, ft=12, vec=1)
    fr = ExtractiveAnswerer().run("Quelle est la politique sur les animaux ?", [weak], language="fr")
    en = ExtractiveAnswerer().run("What is the pet policy?", [weak], language="en")
    assert (fr.found, fr.text) == (False, I_DONT_KNOW["fr"])
    assert (en.found, en.text) == (False, I_DONT_KNOW["en"])
    assert fr.citations == () and ExtractiveAnswerer().run("x", [], language="fr").found is False


def test_paraphrase_found_by_both_legs_counts_as_relevant() -> None:
    answer = ExtractiveAnswerer().run("travail à la maison", [_hit(TEXT, coverage=0.1, ft=9, vec=1)], language="fr")
    assert answer.found
