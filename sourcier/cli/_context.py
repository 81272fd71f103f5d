"""What one `sourcier` invocation is built from: made once by the root callback, handed to commands as `ctx.obj`.

Each command asks the context for what it needs (the settings, the database connection, the embedder, the
chat model, the warehouse); each is made on first use, at most once per invocation, and what holds a
server or a connection is closed when the command ends. A command that needs no database starts none.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import typer
from psycopg import Connection
from rich.console import Console
from rich.text import Text

from sourcier import sql as warehouse_sql
from sourcier import store
from sourcier.answer import AnswerPipeline
from sourcier.config import Settings
from sourcier.embed import Embedder, create_embedder
from sourcier.llm import ChatModel, create_chat_model
from sourcier.store import users
from sourcier.types import ADMIN_ROLE, EVERYONE, Identity

# Whoever runs the CLI on the machine already holds the data directory, hence the whole database:
# the CLI acts as a local administrator unless told to act as a user (`--as`).
LOCAL_ADMIN = Identity(name="local-admin", is_admin=True, principals=(EVERYONE, ADMIN_ROLE))


def _stderr_console() -> Console:
    return Console(stderr=True)


@dataclass(frozen=True)
class Wiring:
    """The factories and consoles an invocation is built from; the defaults are the product's.

    Tests and scripts hand their own to the app instead of patching module globals:
    `CliRunner().invoke(app, args, obj=Wiring(embedder=lambda settings: fake))`, or `app(args, obj=...)`.
    """

    settings: Callable[[], Settings] = Settings
    embedder: Callable[[Settings], Embedder] = create_embedder
    chat_model: Callable[[Settings], ChatModel | None] = create_chat_model
    out: Console = field(default_factory=Console)
    err: Console = field(default_factory=_stderr_console)


class CliContext:
    """One invocation's settings, database session, embedder, chat model and warehouse, each made lazily."""

    def __init__(self, wiring: Wiring) -> None:
        self.wiring = wiring
        self.out = wiring.out
        self.err = wiring.err
        self._resources = ExitStack()

    @staticmethod
    def of(ctx: typer.Context) -> CliContext:
        """The context the root callback put on `ctx.obj` (sub-command contexts inherit it)."""
        obj = ctx.find_object(CliContext)
        if obj is None:  # only when a command is invoked without the root app
            raise RuntimeError("sourcier's CLI context is missing: invoke commands through sourcier.cli.app")
        return obj

    @cached_property
    def settings(self) -> Settings:
        """Read on first use, not at start-up, so that `--help` works whatever the configuration."""
        try:
            return self.wiring.settings()
        except ValueError as exc:  # pydantic's ValidationError is one
            self.err.print(Text.assemble(("configuration error:", "red"), f" {exc}"))
            raise typer.Exit(code=2) from exc

    @cached_property
    def conninfo(self) -> str:
        """Sourcier's database: `database_url`, else the embedded server, started (or joined) until the end."""
        return self._resources.enter_context(store.database(self.settings))

    @property
    def runs_own_server(self) -> bool:
        """Whether sourcier's database is its own embedded server (no `database_url`)."""
        return self.settings.database_url is None

    @cached_property
    def conn(self) -> Connection[Any]:
        """The invocation's one connection to sourcier's database, migrated."""
        conn = self._resources.enter_context(store.connect(self.conninfo))
        store.migrate(conn)
        return conn

    @cached_property
    def embedder(self) -> Embedder:
        return self.wiring.embedder(self.settings)

    @cached_property
    def chat_model(self) -> ChatModel | None:
        """The configured language model and its fallbacks; None without one (extractive answers)."""
        return self.wiring.chat_model(self.settings)

    @cached_property
    def warehouse(self) -> warehouse_sql.Warehouse | None:
        """`warehouse_url`, else the `warehouse` database of the embedded server when sourcier runs its own;
        None when there is neither. Whether the embedded one exists yet is `Warehouse.reachable`'s to say."""
        own_server = self.conninfo if self.runs_own_server else None
        found = warehouse_sql.warehouse_for(self.settings, embedded_server=own_server)
        if found is not None:
            self._resources.callback(found.close)
        return found

    @cached_property
    def pipeline(self) -> AnswerPipeline:
        """The answering pipeline every interface uses, over this invocation's embedder, model and warehouse."""
        return AnswerPipeline(
            settings=self.settings, embedder=self.embedder, model=self.chat_model, warehouse=self.warehouse
        )

    def identity(self, as_user: str | None) -> Identity:
        """The local administrator, or `--as USER` with that user's rights (a disabled or unknown user raises)."""
        return LOCAL_ADMIN if as_user is None else users.identity(self.conn, as_user)

    def close(self) -> None:
        """Closes what the command opened, last opened first (the connection before the server)."""
        self._resources.close()
