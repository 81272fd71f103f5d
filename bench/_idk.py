"""When to say "Je ne sais pas" without a model: features of the hits, rules fitted on one set, scored on others.

Features, all from what the answerer receives (the top 5 hits of the hybrid retrieval) and the question:

- `coverage`, `max_coverage`: IDF-weighted share of the question's words in the top passage / the best of 5
- `similarity`: the top passage's cosine to the question (vector leg); `gap`: it minus the mean of the others
- `both_legs`: the top passage is in both legs' top 10; `bm25`: its full-text score
- `margin`: fused score of the top passage minus the second's (the rest of the ranking's distance)
- `terms`: question stems found in the top passage (a count, not a share)
- `sentence_terms`: share of the question's stems in the extractive answer's best sentence
- `sentence_similarity`: cosine between the question (as a query) and the top passage's closest sentence,
  as the citation checker computes it (E5 on sentences; their vectors are cached in ~/.cache/sourcier-bench)

A rule says "Je ne sais pas" when its score is under a threshold. Thresholds (and the logistic weights)
are chosen on the calibration questions only: at the point where at most 10% of the answerable ones are
refused (the issue's answerable goal), and at the point where 90% of the unanswerable ones are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from bench._vectors import VectorFile
from sourcier.answer._highlight import _SENTENCE, _WORD, highlight_sentences, stems
from sourcier.embed import Embedder, text_hash
from sourcier.types import Hit

FEATURES = ("coverage", "max_coverage", "similarity", "gap", "both_legs", "bm25", "margin", "terms",
            "sentence_terms", "sentence_similarity")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    question: str
    language: str
    golds: tuple[str, ...] | None  # None: unanswerable
    gold_passages: frozenset[str]
    hits: list[Hit]
    found: bool  # what the current rule (sourcier's Relevance, through the extractive answerer) decided
    query_vector: np.ndarray | None = None

    @property
    def answerable(self) -> bool:
        return self.golds is not None


class SentenceVectors:
    """E5 passage vectors of sentences, cached on disk by text hash (re-runs embed nothing)."""

    def __init__(self, embedder: Embedder) -> None:
        self._emb = embedder
        self._file = VectorFile(embedder.model_id + "#sentence", embedder.dimension)
        self._known = self._file.load()

    def __call__(self, sentences: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(s for s in sentences if text_hash(s) not in self._known))
        if missing:
            vecs = self._emb.embed_passages(missing)
            self._file.append(missing, vecs)
            self._known.update({text_hash(s): v for s, v in zip(missing, vecs, strict=True)})
        return np.stack([self._known[text_hash(s)] for s in sentences])


class CachedEmbedder:
    """What `CitationChecker` needs, from the benchmark's caches: the questions' vectors, sentence vectors
    from disk, so that re-deciding every question with sourcier's own `SentenceMatch` embeds nothing new."""

    def __init__(self, embedder: Embedder, examples: Sequence[Example]) -> None:
        self.model_id, self.dimension = embedder.model_id, embedder.dimension
        self._emb = embedder
        self._queries = {e.question: e.query_vector for e in examples if e.query_vector is not None}
        self._sentences = SentenceVectors(embedder)

    def embed_query(self, text: str) -> np.ndarray:
        return self._queries[text] if text in self._queries else self._emb.embed_query(text)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._sentences(list(texts))

    def token_count(self, text: str) -> int:
        return self._emb.token_count(text)


def passage_sentences(text: str) -> list[str]:
    """The passage's sentences as CitationChecker embeds them (two words or more), or the whole passage."""
    found = [m.group().strip() for m in _SENTENCE.finditer(text) if len(_WORD.findall(m.group())) >= 2]
    return found or [text]


def features(ex: Example, sentence_vectors: Callable[[Sequence[str]], np.ndarray]) -> list[float]:
    if not ex.hits:
        return [0.0] * len(FEATURES)
    top = ex.hits[0]
    sims = [h.vector_similarity for h in ex.hits if h.vector_similarity is not None]
    top_sim = top.vector_similarity if top.vector_similarity is not None else (min(sims) if sims else 0.0)
    others = [s for h, s in ((h, h.vector_similarity) for h in ex.hits[1:]) if s is not None]
    gap = top_sim - (sum(others) / len(others)) if others else 0.0
    both = float(top.fulltext_rank is not None and top.vector_rank is not None
                 and top.fulltext_rank <= 10 and top.vector_rank <= 10)  # fmt: skip
    margin = top.score - ex.hits[1].score if len(ex.hits) > 1 else top.score
    wanted = stems(ex.question, ex.language)
    terms = len(wanted & stems(f"{top.title}\n{top.heading}\n{top.text}", ex.language))
    spans = highlight_sentences(ex.question, top.text, ex.language, max_sentences=1)
    best = top.text[spans[0][0] : spans[0][1]] if spans else ""
    sentence_terms = len(wanted & stems(best, ex.language)) / len(wanted) if wanted else 0.0
    sentence_similarity = 0.0
    if ex.query_vector is not None:
        sentence_similarity = float(np.max(sentence_vectors(passage_sentences(top.text)) @ ex.query_vector))
    return [top.coverage, max(h.coverage for h in ex.hits), top_sim, gap, both, top.fulltext_score or 0.0,
            margin, float(terms), sentence_terms, sentence_similarity]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Matrix:
    x: np.ndarray  # (n, len(FEATURES))
    answerable: np.ndarray  # bool
    current_found: np.ndarray  # bool: the current rule answered


def collect(examples: Sequence[Example], embedder: Embedder) -> Matrix:
    vectors = SentenceVectors(embedder)
    return Matrix(
        np.array([features(e, vectors) for e in examples], dtype=np.float64).reshape(len(examples), len(FEATURES)),
        np.array([e.answerable for e in examples], dtype=bool),
        np.array([e.found for e in examples], dtype=bool),
    )


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Class-balanced, L2-regularised logistic regression (Newton steps on standardised features), returned
    as (weights on the raw features, bias): score = x @ w + b, positive for "answerable"."""
    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.hstack([(x - mu) / sd, np.ones((len(x), 1))])
    weight = np.where(y, 0.5 / max(y.sum(), 1), 0.5 / max((~y).sum(), 1)) * len(y)
    w = np.zeros(z.shape[1])
    reg = np.full(z.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w)))
        grad = z.T @ (weight * (p - y)) + reg * w
        hess = (z * (weight * p * (1 - p))[:, None]).T @ z + np.diag(reg + 1e-9)
        w -= np.linalg.solve(hess, grad)
    raw = w[:-1] / sd
    return raw, np.array(w[-1] - raw @ mu)


def idk_rates(score: np.ndarray, threshold: float, answerable: np.ndarray) -> tuple[float, float]:
    """("Je ne sais pas" share on answerable, on unanswerable) when refusing every score under threshold."""
    idk = score < threshold
    a = idk[answerable].mean() if answerable.any() else float("nan")
    u = idk[~answerable].mean() if (~answerable).any() else float("nan")
    return float(a), float(u)


def thresholds(score: np.ndarray, answerable: np.ndarray) -> dict[str, float]:
    """The two operating points, on the calibration scores."""
    return {
        "<=10% answerable refused": float(np.quantile(score[answerable], 0.10, method="lower")),
        ">=90% unanswerable refused": float(
            np.nextafter(np.quantile(score[~answerable], 0.90, method="higher"), np.inf)
        ),
    }


def report_rules(calibration: Matrix, held_out: dict[str, Matrix], console: Console) -> dict[str, float]:
    """Fit on `calibration`, print rates on it and on each held-out set, for each rule and operating point;
    returns the sentence-similarity thresholds that refuse at most 10% of the calibration's answerable
    questions, on top of the current rule ("and") and instead of it ("alone")."""
    t = Table(
        title=f"'Je ne sais pas' rules: fitted on {len(calibration.x)} PIAF calibration questions "
        f"({(~calibration.answerable).sum()} unanswerable); IDK answerable / IDK unanswerable"
    )
    t.add_column("rule")
    t.add_column("operating point")
    t.add_column("calibration")
    for name in held_out:
        t.add_column(f"{name} (held out)")

    def fmt(a: float, u: float) -> str:
        return f"{a:.1%} / {u:.1%}"

    def current(m: Matrix) -> tuple[float, float]:
        idk = ~m.current_found
        return float(idk[m.answerable].mean()), float(idk[~m.answerable].mean())

    t.add_row("current Relevance (coverage >= 0.5 or both legs top 10)", "-", fmt(*current(calibration)),
              *(fmt(*current(m)) for m in held_out.values()))  # fmt: skip
    w, b = fit_logistic(calibration.x, calibration.answerable)
    cheap = [i for i, n in enumerate(FEATURES) if n != "sentence_similarity"]
    w2, b2 = fit_logistic(calibration.x[:, cheap], calibration.answerable)
    rules: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "logistic, all features": lambda x: x @ w + b,
        "logistic, without sentence_similarity (no embedding)": lambda x: x[:, cheap] @ w2 + b2,
    }
    sentence = FEATURES.index("sentence_similarity")
    for i, name in enumerate(FEATURES):
        rules[name] = _column(i)
    # A second condition on top of the current rule (what sourcier's SentenceMatch adds): refused when either is.
    gated = {id(m.x): m.current_found for m in (calibration, *held_out.values())}
    rules["current Relevance and sentence_similarity"] = lambda x: np.where(gated[id(x)], x[:, sentence], -np.inf)
    chosen: dict[str, float] = {}
    for name, score in rules.items():
        cal = score(calibration.x)
        for point, th in thresholds(cal, calibration.answerable).items():
            if name == "current Relevance and sentence_similarity" and point.startswith("<=10%"):
                chosen["and"] = th
            if name == "sentence_similarity" and point.startswith("<=10%"):
                chosen["alone"] = th
            t.add_row(name, f"{point} (t={th:.4g})", fmt(*idk_rates(cal, th, calibration.answerable)),
                      *(fmt(*idk_rates(score(m.x), th, m.answerable)) for m in held_out.values()))  # fmt: skip
    console.print(t)
    console.print(
        "  logistic weights (raw features): "
        + ", ".join(f"{n} {v:.3g}" for n, v in zip(FEATURES, w, strict=True))
        + f", bias {float(b):.3g}"
    )
    return chosen


def save(path: Path, calibration: Matrix, held_out: dict[str, Matrix]) -> None:
    """The feature matrices, for looking at other rules without re-running the benchmark."""
    arrays = {"features": np.array(FEATURES)}
    for name, m in {"calibration": calibration, **held_out}.items():
        arrays |= {f"{name}.x": m.x, f"{name}.answerable": m.answerable, f"{name}.current_found": m.current_found}
    np.savez(path, **arrays)  # type: ignore[arg-type]  # numpy types **kwds as its allow_pickle flag


def _column(i: int) -> Callable[[np.ndarray], np.ndarray]:
    return lambda x: x[:, i]
