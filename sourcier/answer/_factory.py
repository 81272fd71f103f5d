"""The answerers the CLI and the API use, built once from the settings (one place decides the rules)."""

from __future__ import annotations

from dataclasses import dataclass

from sourcier.answer._citations import CitationChecker
from sourcier.answer._extractive import ExtractiveAnswerer
from sourcier.answer._generated import GeneratedAnswerer
from sourcier.answer._sentence_match import SentenceMatch
from sourcier.config import Settings
from sourcier.embed import Embedder
from sourcier.llm import ChatModel


@dataclass(frozen=True, slots=True)
class Answerers:
    """The extractive answerer always; the written one when a model is configured (it falls back on the first)."""

    extractive: ExtractiveAnswerer
    generated: GeneratedAnswerer | None


def answerers_from(settings: Settings, embedder: Embedder, model: ChatModel | None) -> Answerers:
    checker = CitationChecker(embedder=embedder)
    match = (
        SentenceMatch(checker, min_similarity=settings.answer_sentence_match)
        if settings.answer_sentence_match is not None
        else None
    )
    extractive = ExtractiveAnswerer(sentence_match=match)
    generated = (
        GeneratedAnswerer(model=model, checker=checker, extractive=extractive, sentence_match=match)
        if model is not None
        else None
    )
    return Answerers(extractive=extractive, generated=generated)
