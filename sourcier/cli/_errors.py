"""How the CLI reports what went wrong: one line on stderr, and an exit code a script can test.

A `SourcierError` carries a message written for the reader, so none is caught command by command: the
root group turns any that escapes into `error: <message>` and exit code 1. Usage mistakes the options
cannot express (two flags that exclude each other) exit with 2, as typer's own usage errors do.
"""

from __future__ import annotations

from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup

from sourcier.cli._context import CliContext
from sourcier.errors import SourcierError, SqlRefused


def error_label(exc: SourcierError) -> str:
    """What the line starts with: SQL the validator refused is 'refused', anything else an 'error'."""
    return "refused" if isinstance(exc, SqlRefused) else "error"


def print_error(err: Console, exc: SourcierError) -> None:
    err.print(Text.assemble((f"{error_label(exc)}:", "red"), f" {exc}"))


def usage_error(err: Console, message: str) -> NoReturn:
    """Stops the command with exit code 2 after saying which options cannot be used as given."""
    err.print(Text.assemble(("error:", "red"), f" {message}"))
    raise typer.Exit(code=2)


class ReportingGroup(TyperGroup):
    """The root command group: a `SourcierError` raised anywhere in a command is reported, then exit 1."""

    def invoke(self, ctx: Any) -> Any:  # typer's click Context (vendored by recent typer, hence not named here)
        try:
            return super().invoke(ctx)
        except SourcierError as exc:
            cli = ctx.find_object(CliContext)
            print_error(cli.err if cli is not None else Console(stderr=True), exc)
            raise typer.Exit(code=1) from exc
