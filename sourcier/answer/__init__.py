"""Answers: the one pipeline every interface asks (`AnswerPipeline`), and the answerers it chooses from
(extractive without a model, or written by a model with checked citations)."""

from sourcier.answer._citations import CheckOutput, CitationChecker, Support, SupportRule
from sourcier.answer._extractive import I_DONT_KNOW, ExtractiveAnswerer, Relevance
from sourcier.answer._factory import Answerers, answerers_from
from sourcier.answer._generated import NO_MODEL_NOTICE, NOT_ANSWERED, GeneratedAnswerer, says_i_dont_know
from sourcier.answer._highlight import highlight_sentences
from sourcier.answer._pipeline import AnswerPipeline
from sourcier.answer._prompts import Prompt, PromptLibrary, PromptPassage
from sourcier.answer._question import AnswerStream, InputCheck, Keep, Knobs, OutputCheck, Question, Refusal
from sourcier.answer._rewrite import QuestionRewriter, Rewrite
from sourcier.answer._sentence_match import SentenceMatch

__all__ = [
    "I_DONT_KNOW",
    "NOT_ANSWERED",
    "NO_MODEL_NOTICE",
    "AnswerPipeline",
    "AnswerStream",
    "Answerers",
    "CheckOutput",
    "CitationChecker",
    "ExtractiveAnswerer",
    "GeneratedAnswerer",
    "InputCheck",
    "Keep",
    "Knobs",
    "OutputCheck",
    "Prompt",
    "PromptLibrary",
    "PromptPassage",
    "Question",
    "QuestionRewriter",
    "Refusal",
    "Relevance",
    "Rewrite",
    "SentenceMatch",
    "Support",
    "SupportRule",
    "answerers_from",
    "highlight_sentences",
    "says_i_dont_know",
]
