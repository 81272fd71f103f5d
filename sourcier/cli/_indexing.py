"""`sourcier ingest`, `sync`, `worker` and `reindex`: what brings the index in line with the files."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from sourcier.cli._context import CliContext
from sourcier.sync import (
    FolderIndexer,
    IndexEvent,
    IndexReport,
    Reindexer,
    Scheduler,
    SyncAlreadyRunning,
    SyncEngine,
    SyncReport,
    Worker,
    sync_declared_sources,
)

_PROGRESS_COLUMNS = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())


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


def ingest(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="Folder to index.")],
    source: Annotated[str | None, typer.Option(help="Source name (default: the folder's name).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Index every file under FOLDER; changed files are redone, unchanged ones skipped, broken ones reported."""
    cli = CliContext.of(ctx)
    embedder, conn = cli.embedder, cli.conn
    with Progress(*_PROGRESS_COLUMNS, console=cli.err, disable=quiet) as progress:
        indexer = FolderIndexer(settings=cli.settings, embedder=embedder, on_event=_IngestProgress(progress))
        report = indexer.run(conn, folder, source_name=source)
    cli.out.print(_report_table(report))


def sync_line(report: SyncReport) -> str:
    """One source's sync in a line: what changed, what was embedded, how long it took."""
    c = report.counts
    return (
        f"{report.source}: {c.get('new', 0)} new, {c.get('modified', 0)} modified, {c.get('moved', 0)} moved,"
        f" {c.get('unchanged', 0)} unchanged, {c.get('deleted', 0)} deleted, {c.get('failed', 0)} failed;"
        f" {c.get('embedded', 0)} passages embedded ({report.seconds['wall']:.1f} s)"
    )


def sync(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Sync this source now (default: every due source).")] = None,
    watch: Annotated[bool, typer.Option("--watch", help="Keep running the schedule until Ctrl-C.")] = False,
) -> None:
    """Bring sources in line with the index: only what changed is read and embedded."""
    cli = CliContext.of(ctx)
    settings, embedder, conn = cli.settings, cli.embedder, cli.conn
    if watch:
        stop = threading.Event()
        scheduler = Scheduler(settings=settings, embedder=embedder, on_report=lambda r: cli.out.print(sync_line(r)))
        cli.err.print("watching the schedule; Ctrl-C to stop")
        try:
            scheduler.watch(conn, stop)
        except KeyboardInterrupt:
            stop.set()
            cli.err.print("stopped; an unfinished run is resumed by the next sync")
        return
    sync_declared_sources(conn, settings.sources, settings=settings)
    if name is None:
        for due in Scheduler(settings=settings, embedder=embedder).run_due(conn):
            cli.out.print(sync_line(due))
        return
    try:
        report = SyncEngine(settings=settings, embedder=embedder).run(conn, name)
    except SyncAlreadyRunning as exc:  # not a failure of this run: said in yellow, without the error label
        cli.err.print(Text(f"{exc.message}; nothing done here ({exc.hint})", style="yellow"))
        raise typer.Exit(code=1) from exc
    cli.out.print(sync_line(report))
    for path, reason in report.failed:
        cli.out.print(Text(f"  {path}: {reason}", style="yellow"))


def worker(
    ctx: typer.Context,
    idle_exit: Annotated[float | None, typer.Option(help="Exit after this many seconds without work.")] = None,
) -> None:
    """Take jobs of running syncs (any source) from the shared database; several may run on several machines."""
    cli = CliContext.of(ctx)
    stop = threading.Event()
    runner = Worker(settings=cli.settings, embedder=cli.embedder)
    conn = cli.conn
    cli.out.print(f"worker {runner.worker_id} ready", highlight=False)
    sys.stdout.flush()  # whoever started the worker may be waiting for this line
    try:
        report = runner.run(conn, stop=stop, idle_exit_s=idle_exit)
    except KeyboardInterrupt:
        stop.set()
        return
    cli.out.print(f"worker done: {len(report.ingested)} indexed, {len(report.unchanged)} unchanged,"
                  f" {len(report.moved)} moved, {len(report.failed)} failed")  # fmt: skip


def reindex(
    ctx: typer.Context,
    limit: Annotated[int | None, typer.Option(help="Embed at most this many passages now; run again for more.")] = None,
    keep_previous: Annotated[
        bool, typer.Option(help="Keep the old model's cached vectors: switching back then embeds nothing.")
    ] = False,
) -> None:
    """Switch the index to the configured embedding model: new vectors are built beside the old ones, and
    searches keep using the old ones until every passage has its new vector. Stopped, it resumes."""
    cli = CliContext.of(ctx)
    embedder, conn = cli.embedder, cli.conn
    with Progress(*_PROGRESS_COLUMNS, console=cli.err) as progress:
        task = progress.add_task(f"embedding for {embedder.model_id}", total=None)
        reindexer = Reindexer(
            embedder=embedder,
            keep_previous=keep_previous,
            on_progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
        report = reindexer.run(conn, limit=limit)
    summary = f"{report.embedded} passages embedded, {report.reused} already had a vector of {report.model_id}"
    if report.switched:
        cli.out.print(f"index now on {report.model_id} ({report.replaced} passages switched); {summary}",
                      highlight=False)  # fmt: skip
    else:
        cli.out.print(f"stopped before the end; {summary}; searches still use {report.previous}", highlight=False)
