"""Answers from retrieved passages: extractive (no LLM), or written by a model with checked citations."""

from sourcier.answer._citations import CheckOutput, CitationChecker, Support, SupportRule
from sourcier.answer._extractive import I_DONT_KNOW, ExtractiveAnswerer, Relevance
from sourcier.answer._factory import Answerers, answerers_from
from sourcier.answer._generated import NO_MODEL_NOTICE, NOT_ANSWERED, GeneratedAnswerer, says_i_dont_know
from sourcier.answer._highlight import highlight_sentences
from sourcier.answer._prompts import Prompt, PromptLibrary, PromptPassage
from sourcier.answer._rewrite import QuestionRewriter, Rewrite
from sourcier.answer._sentence_match import SentenceMatch

__all__ = [
    "I_DONT_KNOW",
    "NOT_ANSWERED",
    "NO_MODEL_NOTICE",
    "Answerers",
    "CheckOutput",
    "CitationChecker",
    "ExtractiveAnswerer",
    "GeneratedAnswerer",
    "Prompt",
    "PromptLibrary",
    "PromptPassage",
    "QuestionRewriter",
    "Relevance",
    "Rewrite",
    "SentenceMatch",
    "Support",
    "SupportRule",
    "answerers_from",
    "highlight_sentences",
    "says_i_dont_know",
]
