"""`sourcier warehouse demo`: the demo data warehouse that `ask --sql` queries."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sourcier import sql as warehouse_sql
from sourcier import store
from sourcier.cli._context import CliContext
from sourcier.cli._errors import usage_error
from sourcier.sql.demo import load_demo

warehouse_app = typer.Typer(no_args_is_help=True, help="The data warehouse that `ask --sql` queries.")


@warehouse_app.command("demo")
def warehouse_demo(
    ctx: typer.Context,
    replace: Annotated[
        bool, typer.Option("--replace", help="Needed with SOURCIER_WAREHOUSE_URL: its sales, hr, audit are replaced.")
    ] = False,
) -> None:
    """Load the Maison Verdier demo warehouse (sales 2022-2025, HR) and its read-only roles."""
    cli = CliContext.of(ctx)
    if cli.settings.warehouse_url is not None and not replace:
        usage_error(cli.err, "SOURCIER_WAREHOUSE_URL is set: add --replace to overwrite sales, hr and audit")
    with warehouse_sql.warehouse(cli.settings) as conninfo:  # made on the embedded server when it is the target
        report = load_demo(conninfo, catalogue=warehouse_sql.load_catalogue())
        where = store.describe(conninfo)
    t = Table(title=f"Demo warehouse loaded into {where}")
    t.add_column("table")
    t.add_column("rows", justify="right")
    for table, n in report.rows:
        t.add_row(table, str(n))
    cli.out.print(t)
    cli.out.print(f"read-only roles: {', '.join(report.roles)}")
    cli.out.print('try: sourcier ask --sql "combien de clients en 2024 ?"')
