"""`sourcier user ...` and `sourcier group ...`: accounts, passwords, API tokens and the groups of access lists."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sourcier.cli._context import CliContext
from sourcier.cli._errors import usage_error
from sourcier.store import users

user_app = typer.Typer(no_args_is_help=True, help="Users: accounts, passwords, API tokens.")
group_app = typer.Typer(no_args_is_help=True, help="Groups of users (principals of access lists).")


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name (lower case).")],
    admin: Annotated[bool, typer.Option(help="May manage sources and users, and reads admin-only documents.")] = False,
    password: Annotated[bool, typer.Option(help="Prompt for a password (for web sign-in).")] = False,
) -> None:
    """Create a user."""
    cli = CliContext.of(ctx)
    secret = typer.prompt("Password", hide_input=True, confirmation_prompt=True) if password else None
    users.create_user(cli.conn, name, password=secret, is_admin=admin)
    cli.out.print(f"user {name} created")


@user_app.command("list")
def user_list(ctx: typer.Context) -> None:
    """Users with their groups and status."""
    cli = CliContext.of(ctx)
    t = Table("user", "admin", "status", "groups")
    for u in users.list_users(cli.conn):
        t.add_row(u.name, "yes" if u.is_admin else "", "disabled" if u.disabled else "active", ", ".join(u.groups))
    cli.out.print(t)


@user_app.command("disable")
def user_disable(ctx: typer.Context, name: str) -> None:
    """Disable a user: no sign-in, no token, no question answered, from the next request on."""
    cli = CliContext.of(ctx)
    revoked = users.disable_user(cli.conn, name)
    cli.out.print(f"user {name} disabled ({revoked} tokens revoked, web sessions ended)")


@user_app.command("password")
def user_password(ctx: typer.Context, name: str) -> None:
    """Set a user's password (prompted); it signs them out everywhere: tokens revoked, web sessions ended."""
    cli = CliContext.of(ctx)
    secret = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    ended = users.set_password(cli.conn, name, secret)
    cli.out.print(f"password of {name} changed ({ended.tokens} tokens revoked, {ended.sessions} web sessions ended)")


@user_app.command("token")
def user_token(
    ctx: typer.Context,
    name: str,
    days: Annotated[int, typer.Option(min=1, max=3650, help="At most token_max_days.")] = 90,
    label: str = "",
) -> None:
    """Create an API token for a user; it is printed once and stored hashed."""
    cli = CliContext.of(ctx)
    if days > cli.settings.token_max_days:
        usage_error(cli.err, f"--days is {days}; this server's token_max_days allows {cli.settings.token_max_days}")
    token = users.create_token(cli.conn, name, days=days, label=label)
    cli.out.print(token, highlight=False)


@group_app.command("add")
def group_add(ctx: typer.Context, name: str) -> None:
    """Create a group."""
    cli = CliContext.of(ctx)
    users.create_group(cli.conn, name)
    cli.out.print(f"group {name} created")


@group_app.command("add-member")
def group_add_member(ctx: typer.Context, group: str, user: str) -> None:
    """Add a user to a group (effective for the next question)."""
    cli = CliContext.of(ctx)
    users.add_member(cli.conn, group, user)
    cli.out.print(f"{user} added to {group}")


@group_app.command("remove-member")
def group_remove_member(ctx: typer.Context, group: str, user: str) -> None:
    """Remove a user from a group (effective for the next question)."""
    cli = CliContext.of(ctx)
    users.remove_member(cli.conn, group, user)
    cli.out.print(f"{user} removed from {group}")
