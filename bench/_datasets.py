"""BEIR-layout data sets from ../shared/data, turned into sourcier's parsed documents."""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sourcier.types import Block, ParsedDocument

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    language: str
    corpus: dict[str, tuple[str, str]]  # id -> (title, text)
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]

    def documents(self) -> Iterator[tuple[str, ParsedDocument]]:
        for doc_id, (title, text) in self.corpus.items():
            yield doc_id, as_parsed(title, text)


def as_parsed(title: str, text: str) -> ParsedDocument:
    """A record becomes a one-section document whose heading is its title (as a web page would)."""
    heading = (title,) if title else ()
    return ParsedDocument(title=title or text[:60], mime_type="text/plain", blocks=(Block(text, heading),))


def _open(path: Path) -> Iterator[str]:
    gz = path.with_name(path.name + ".gz")
    if path.exists():
        with path.open(encoding="utf-8") as f:
            yield from f
    elif gz.exists():
        with gzip.open(gz, "rt", encoding="utf-8") as g:
            yield from g
    else:
        raise FileNotFoundError(path)


def load(name: str, *, split: str = "test", data_dir: Path = DATA_DIR) -> Dataset:
    root = data_dir / name
    corpus = {}
    for line in _open(root / "corpus.jsonl"):
        r = json.loads(line)
        corpus[str(r["_id"])] = (r.get("title") or "", r["text"])
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    for i, line in enumerate((root / "qrels" / f"{split}.tsv").open(encoding="utf-8")):
        parts = line.rstrip("\n").split("\t")
        if i == 0 and not parts[-1].strip().isdigit():
            continue
        qrels[parts[0]][parts[1]] = int(parts[2])
    queries = {}
    for line in _open(root / "queries.jsonl"):
        r = json.loads(line)
        if str(r["_id"]) in qrels:
            queries[str(r["_id"])] = r["text"]
    language = "fr" if name == "piaf" else "en"
    return Dataset(name, language, corpus, queries, dict(qrels))
