"""Retrieval SQL: a BM25 full-text leg, a pgvector leg, and their fusion, in one statement (or the two legs
at once on two connections, then their fusion: the same hits).

One module per job: `_params` (every tuning constant, `SearchParams`), `_reader` (the reader role, its
settings, the visible documents), `_bm25` and `_fulltext` (the full-text leg), `_vector` (the vector
leg), `_fusion` (fusion, fetch, and the statements assembled), `_search` (running them), `_render` (the
statements as docs/sql/ shows them: `python -m sourcier.store.search --render docs/sql`).

Imports inside this package are relative, so that bench/acl.py can load another revision's copy of it
beside this one (`--baseline REV`).
"""

from ._fulltext import Pruning, fulltext_pruning
from ._fusion import statement
from ._params import Fusion, Mode, SearchParams, bind
from ._reader import as_reader, checked_principals, prepare_reader
from ._render import render
from ._search import SideLeg, explain, search

# The defaults of two former module constants, kept readable under their old names; a search takes
# them from its `SearchParams` (`small_budget`, `stages`).
SMALL_BUDGET = SearchParams().small_budget
STAGES = SearchParams().stages

__all__ = [
    "SMALL_BUDGET",
    "STAGES",
    "Fusion",
    "Mode",
    "Pruning",
    "SearchParams",
    "SideLeg",
    "as_reader",
    "bind",
    "checked_principals",
    "explain",
    "fulltext_pruning",
    "prepare_reader",
    "render",
    "search",
    "statement",
]
