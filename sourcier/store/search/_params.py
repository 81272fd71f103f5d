"""Every tuning constant of retrieval, in one frozen dataclass, and how it reaches the SQL.

Most fields are bound as parameters (`%(name)s`, see `bind`). A few shape the statement itself and are
formatted into its text (`stages`, `best_of`, `probe_cost`, `ef_max`, `ef_share_exponent`,
`work_mem_mb`): statements are built once per value (docs/sql/ shows them at the defaults).
Figures quoted below are from docs/benchmarks.md (run numbers there).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Mode = Literal["hybrid", "fulltext", "vector"]
Fusion = Literal["minmax", "rrf"]


@dataclass(frozen=True, slots=True)
class SearchParams:
    """How one search runs: depth, fusion, BM25, and the plan choices of each leg."""

    # Passages returned.
    k: int = 5
    # Candidates each leg hands to fusion in hybrid mode (a single leg computes only its top k: `depth`).
    candidates: int = 100
    # min-max: each leg's scores mapped to [0, 1] over its candidates, then weighted; rrf: reciprocal ranks.
    fusion: Fusion = "minmax"
    # Weight of the vector leg (the full-text leg weighs 1 - alpha).
    alpha: float = 0.5
    # The rank offset of reciprocal rank fusion (60, the classic value).
    rrf_k: int = 60
    # BM25 term-frequency saturation and length normalisation (PIAF nDCG@10 0.79 at 1.2 / 0.75).
    k1: float = 1.2
    b: float = 0.75
    # A heading occurrence counts as 1 + heading_boost body occurrences in a passage's term frequency.
    heading_boost: int = 1
    # HNSW candidate list when every passage is readable; a smaller audience gets ef / share^(1/4), at
    # most `ef_max` (`_reader.prepare_reader`): a filtered walk needs a longer list for the same recall
    # (filtered recall@10 by audience in docs/benchmarks.md).
    ef_search: int = 400
    # Below this many readable passages the vector leg scans them exactly instead of walking HNSW: an
    # exact scan reads each readable passage once (cheap since vectors are stored inline, 0009), while a
    # filtered walk needs a longer list the fewer passages pass, and visits more nodes the more candidates
    # it must return, so at a tenth of 100k readable it loses to the exact scan for fusion's 100 candidates
    # (see docs/benchmarks.md).
    exact_below: int = 15_000
    # Visible postings the full-text leg reads in full, rarest words first, before it prunes the common
    # words by their BM25 upper bound (exact either way: see `_fulltext`), at a depth of 100 candidates
    # (it scales as sqrt(candidates / 100)); never more than half the caller's readable passages.
    postings_budget: int = 20_000
    # Postings: below this, the full-text leg's budget no longer shrinks with the audience (reading
    # everything is cheapest for a small audience).
    small_budget: int = 2_000
    # The pruned words are added to the survivors in this many stages: one word in each, the highest bound
    # first, then all the others in the last, so most survivors are dropped before the commonest words are
    # probed; more stages gained nothing (see docs/benchmarks.md). Formatted into the statement.
    stages: int = 2
    # The lower bound of the full-text leg is the `candidates`-th full score among the best
    # best_of x `candidates` passages by partial score (their common words probed). Formatted in.
    best_of: int = 3
    # A probe of one passage's posting by primary key costs about this many postings read in a scan: a
    # stage probes its passages when that is cheaper than reading its words' postings. Formatted in.
    probe_cost: int = 5
    # The HNSW list never grows past this for a small audience (pgvector's ef_search maximum is 1000).
    ef_max: int = 1000
    # The list grows as 1 / share^ef_share_exponent (0.25: a tenth readable gets 712 from 400).
    ef_share_exponent: float = 0.25
    # work_mem of a search transaction: postings of common words run to tens of thousands of rows at 100k
    # passages, kept in memory. Formatted into the reader's settings.
    work_mem_mb: int = 64


def depth(params: SearchParams, mode: Mode) -> SearchParams:
    """A single leg needs only its own top k, which it computes exactly at that depth: the full-text bound
    prunes against the k-th score instead of the 100th, and the vector leg stops at k. Fusion is what
    needs `candidates` from each leg. Scores of a single-leg mode are normalised over the hits it returns."""
    return params if mode == "hybrid" else replace(params, candidates=params.k)


def bind(
    query: str, qvec: npt.NDArray[np.float32] | None, model_id: str, params: SearchParams, who: list[str]
) -> dict[str, Any]:
    """The parameters of every retrieval statement (`%(name)s`), for a question and checked principals."""
    return {
        "query": query,
        "qvec": qvec,
        "model": model_id,
        "candidates": params.candidates,
        "k": params.k,
        "k1": params.k1,
        "b": params.b,
        "heading_boost": params.heading_boost,
        "fusion": params.fusion,
        "alpha": params.alpha,
        "rrf_k": params.rrf_k,
        "principals": who,
        "exact_below": params.exact_below,
        "postings_budget": params.postings_budget,
        "small_budget": params.small_budget,
    }
