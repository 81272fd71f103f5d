"""`sourcier search` and `sourcier ask`: passages, and answers from the documents or the data warehouse."""

from __future__ import annotations

from typing import Annotated

import typer

from sourcier.answer import Keep, Question
from sourcier.cli._context import CliContext
from sourcier.cli._errors import usage_error
from sourcier.cli._render import render_answer_stream, render_hits
from sourcier.retrieve import Mode
from sourcier.types import AskMode

AsUser = Annotated[
    str | None,
    typer.Option("--as", help="Ask as this user (their access rights); default: the local administrator."),
]

_SEARCH_MODES: dict[str, Mode] = {"hybrid": "hybrid", "fulltext": "fulltext", "vector": "vector"}


def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="How many passages.")] = 10,
    mode: Annotated[str, typer.Option(help="hybrid, fulltext or vector.")] = "hybrid",
    as_user: AsUser = None,
) -> None:
    """Ranked passages with their scores and the leg (full text, vector) that found each."""
    cli = CliContext.of(ctx)
    search_mode = _SEARCH_MODES.get(mode)
    if search_mode is None:
        usage_error(cli.err, "--mode must be hybrid, fulltext or vector")
    result = cli.pipeline.search(cli.conn, cli.identity(as_user), query, k=k, mode=search_mode)
    render_hits(cli.out, cli.err, query, result)


def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="A question, in French or English.")],
    as_user: AsUser = None,
    sql: Annotated[bool, typer.Option("--sql", help="Answer from the data warehouse only (read-only SQL).")] = False,
    docs: Annotated[bool, typer.Option("--docs", help="Answer from the indexed documents only.")] = False,
) -> None:
    """Answer from the documents, the data warehouse, or both (routed from the question; --docs/--sql force one)."""
    cli = CliContext.of(ctx)
    if sql and docs:
        usage_error(cli.err, "--sql and --docs exclude each other")
    mode = AskMode.WAREHOUSE if sql else AskMode.DOCUMENTS if docs else AskMode.AUTO
    asked = Question(asker=cli.identity(as_user), text=question, mode=mode, keep=Keep.TRACE)
    live = cli.chat_model is not None  # a model's tokens are shown as they come; an extractive answer at once
    record = render_answer_stream(cli.out, cli.err, cli.pipeline.ask(cli.conn, asked), live=live)
    if mode is AskMode.AUTO and record.route != "documents":
        cli.err.print(f"routed to: {record.route}", style="dim")
