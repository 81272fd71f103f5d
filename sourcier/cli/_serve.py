"""`sourcier serve`: the web pages and the HTTP API under uvicorn, and the sync schedule beside them.

The server processes get their settings as an argument, not through the environment: uvicorn pickles the
`Config` (its app factory, a partial of `create_app` over the settings) into each spawned worker. The
settings they get name the database this command started or joined, so every worker, and the schedule,
joins the same server.
"""

from __future__ import annotations

import functools
import os
import threading
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import SecretStr

from sourcier.cli._context import CliContext
from sourcier.config import Settings
from sourcier.sync import Scheduler

if TYPE_CHECKING:  # uvicorn, FastAPI and the app are imported by `serve` only, not by every command
    from uvicorn import Config


def served_settings(settings: Settings, conninfo: str) -> Settings:
    """The settings the server processes and the schedule run with."""
    update: dict[str, object] = {"database_url": SecretStr(conninfo)}
    if settings.embedding_threads == 0 and "SOURCIER_EMBEDDING_THREADS" not in os.environ:
        # Measured (docs/benchmarks.md, HTTP load): concurrent requests each embedding on 1 thread give 2.3x the
        # queries/s of one engine spreading every query over all cores (its OpenMP threads spin for busy cores).
        update["embedding_threads"] = 1
    return settings.model_copy(update=update)


def uvicorn_config(
    settings: Settings, *, host: str, port: int, workers: int, forwarded_allow_ips: str, embedded: bool = False
) -> Config:
    """The server's configuration; with several workers it is pickled into each, app factory included.

    `embedded`: the database is sourcier's own embedded server, whose `warehouse` database (once
    `sourcier warehouse demo` made it) is then the warehouse the workers ask.
    """
    from uvicorn import Config

    from sourcier.api import create_app

    return Config(
        functools.partial(create_app, settings, embedded=embedded),
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
    )


def _run_uvicorn(config: Config) -> None:
    """What `uvicorn.run` does, with an app factory that is an object rather than an import string (which
    `uvicorn.run` requires for several workers, though its supervisor pickles the config either way)."""
    from uvicorn import Server
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    server = Server(config)
    try:
        if config.workers > 1:
            Multiprocess(config, sockets=[config.bind_socket()]).run()
        else:
            server.run()
    except KeyboardInterrupt:
        pass
    if config.workers == 1 and not server.started:  # the app failed to start (uvicorn has logged why)
        raise typer.Exit(code=STARTUP_FAILURE)


def serve(
    ctx: typer.Context,
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
    cli = CliContext.of(ctx)
    conn = cli.conn  # migrated before any worker starts; from here on the schedule's alone
    settings = served_settings(cli.settings, cli.conninfo)  # the embedded PostgreSQL stays up until the end
    config = uvicorn_config(
        settings,
        host=host,
        port=port,
        workers=workers,
        forwarded_allow_ips=forwarded_allow_ips,
        embedded=cli.runs_own_server,  # read before `served_settings` gave the workers a database_url
    )
    stop = threading.Event()
    scheduler = Scheduler(settings=settings, embedder=cli.wiring.embedder(settings))
    thread = threading.Thread(target=scheduler.watch, args=(conn, stop), name="sync-schedule", daemon=True)
    thread.start()
    try:
        _run_uvicorn(config)
    finally:
        stop.set()
        thread.join(timeout=30)
