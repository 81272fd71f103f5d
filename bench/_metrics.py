"""IR metrics over document rankings (binary or graded qrels)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def ndcg_at(ranked: Sequence[str], relevant: dict[str, int], k: int = 10) -> float:
    dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: Sequence[str], relevant: dict[str, int], k: int) -> float:
    rel = {d for d, r in relevant.items() if r > 0}
    return len(rel & set(ranked[:k])) / len(rel) if rel else 0.0


def mrr(ranked: Sequence[str], relevant: dict[str, int], k: int = 100) -> float:
    for i, d in enumerate(ranked[:k]):
        if relevant.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def summarise(runs: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    n = len(runs)
    return {
        "nDCG@10": sum(ndcg_at(r, qrels[q]) for q, r in runs.items()) / n,
        "R@10": sum(recall_at(r, qrels[q], 10) for q, r in runs.items()) / n,
        "R@100": sum(recall_at(r, qrels[q], 100) for q, r in runs.items()) / n,
        "MRR": sum(mrr(r, qrels[q]) for q, r in runs.items()) / n,
    }
