"""Answers from retrieved passages: extractive (no LLM) for now, always cited."""

from sourcier.answer._extractive import I_DONT_KNOW, ExtractiveAnswerer, Relevance
from sourcier.answer._highlight import highlight_sentences

__all__ = ["I_DONT_KNOW", "ExtractiveAnswerer", "Relevance", "highlight_sentences"]
