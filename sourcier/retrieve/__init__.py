"""Hybrid retrieval: both legs and their fusion run in PostgreSQL; this package embeds the question."""

from sourcier.retrieve._hybrid import HybridRetriever, RetrieveOutput, SpareConnection, search_params
from sourcier.store.search import Fusion, Mode, SearchParams

__all__ = ["Fusion", "HybridRetriever", "Mode", "RetrieveOutput", "SearchParams", "SpareConnection", "search_params"]
