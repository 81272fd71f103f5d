"""`sourcier source add|list|remove`: the folders and sites kept in sync with the index."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sourcier.cli._context import CliContext
from sourcier.store import sources as source_store
from sourcier.sync import SourcePolicy, check_source, parse_every, sync_declared_sources
from sourcier.types import ADMIN_ROLE

source_app = typer.Typer(no_args_is_help=True, help="Sources: folders and sites kept in sync with the index.")


@source_app.command("add")
def source_add(
    ctx: typer.Context,
    name: str,
    location: Annotated[str, typer.Argument(help="A folder, or a start URL for --kind web.")],
    every: Annotated[str | None, typer.Option(help="Schedule, e.g. 30m, 1h, 1d; unset: only on demand.")] = None,
    kind: Annotated[str, typer.Option(help="filesystem or web.")] = "filesystem",
    read: Annotated[list[str] | None, typer.Option(help="Who may read its items by default (repeatable).")] = None,
) -> None:
    """Add (or redefine) a source; it is due at once. Any folder of this machine, but never its system's."""
    cli = CliContext.of(ctx)
    conn = cli.conn
    every_s = parse_every(every) if every else None
    policy = SourcePolicy.local(cli.settings)
    source = check_source(name=name, kind=kind, location=location, read=read or [ADMIN_ROLE], policy=policy)
    source_store.add_source(
        conn, name=source.name, kind=source.kind, location=source.location, every_s=every_s, read=source.read
    )
    schedule = f", every {every}" if every else ", on demand"
    cli.out.print(f"source {name} added ({kind}, {source.location}{schedule})")


@source_app.command("list")
def source_list(ctx: typer.Context) -> None:
    """Sources with their schedule, documents, errors and last run."""
    cli = CliContext.of(ctx)
    sync_declared_sources(cli.conn, cli.settings.sources, settings=cli.settings)
    print_sources(cli.out, source_store.list_sources(cli.conn))


@source_app.command("remove")
def source_remove(ctx: typer.Context, name: str) -> None:
    """Forget a source and remove its documents from the index."""
    cli = CliContext.of(ctx)
    source_store.remove_source(cli.conn, name)
    cli.out.print(f"source {name} removed")


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    s = int((now - when).total_seconds())
    return f"{s}s ago" if s < 120 else f"{s // 60}m ago" if s < 7200 else f"{s // 3600}h ago"


def print_sources(out: Console, rows: list[source_store.SourceStatus]) -> None:
    """The sources table, shared by `source list` and `status`."""
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
