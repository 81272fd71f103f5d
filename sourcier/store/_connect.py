"""Connections and migrations."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from concurrent.futures import Executor
from importlib import resources
from typing import Any

import psycopg
from pgvector.psycopg import register_vector
from psycopg import Connection, sql
from psycopg_pool import ConnectionPool, PoolTimeout

from sourcier.errors import BackendUnavailable
from sourcier.store.search import SideLeg

log = logging.getLogger(__name__)

_MIGRATION_LOCK = 7_461_002  # advisory lock key: one migrator at a time

_CREATE_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     text PRIMARY KEY,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""


def open_autocommit(conninfo: str, *, unreachable: str, hint: str) -> Connection[Any]:
    """A plain autocommit connection; a server that cannot be reached is BackendUnavailable(`unreachable`)."""
    try:
        return psycopg.connect(conninfo, autocommit=True)
    except psycopg.OperationalError as exc:
        raise BackendUnavailable(unreachable, hint=hint) from exc


def connect(conninfo: str) -> Connection[Any]:
    """An autocommit connection with pgvector's types registered; atomic work goes in `conn.transaction()`.

    Run `migrate` once on a fresh database (it creates the vector extension and registers the types).
    """
    conn = open_autocommit(
        conninfo,
        unreachable="Could not connect to PostgreSQL.",
        hint="check SOURCIER_DATABASE_URL and that the server runs",
    )
    with contextlib.suppress(psycopg.ProgrammingError):
        register_vector(conn)  # fails before the first migration, which creates the extension and registers
    return conn


@contextlib.contextmanager
def spare_connection(pool: ConnectionPool[Connection[Any]], threads: Executor) -> Iterator[SideLeg | None]:
    """A connection the pool has idle now (with `threads` to run a leg on it), else None after at most a
    millisecond: the hybrid search then runs its legs one after the other. A busy server has no core to
    spare for a second leg anyway, and the pool grows in the background for the next request."""
    try:
        conn = pool.getconn(timeout=0.001)
    except PoolTimeout:
        yield None
        return
    try:
        yield SideLeg(conn, threads)
    finally:
        pool.putconn(conn)


def migration_files() -> list[tuple[str, str]]:
    files = resources.files("sourcier.store").joinpath("migrations")
    out = [(f.name.removesuffix(".sql"), f.read_text("utf-8")) for f in files.iterdir() if f.name.endswith(".sql")]
    return sorted(out)


def applied_migrations(conn: Connection[Any]) -> set[str]:
    """The versions recorded as applied (readiness compares them with `migration_files`)."""
    return {str(r[0]) for r in conn.execute("SELECT version FROM schema_migrations")}


def migrate(conn: Connection[Any], *, before: str | None = None) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction; returns those applied. With
    `before`, only those that come before that version (a test of how a migration treats existing data)."""
    applied: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute(_CREATE_MIGRATIONS_TABLE)
        done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
        for version, body in migration_files():
            if version in done:
                continue
            if before is not None and version >= before:
                break
            log.info("applying migration %s", version)
            with conn.transaction():
                conn.execute(body)  # trusted SQL shipped in the package
                conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
            applied.append(version)
    if applied:
        _vacuum_own_tables(conn, applied)
    register_vector(conn)
    return applied


def _vacuum_own_tables(conn: Connection[Any], applied: list[str]) -> None:
    """A migration may rewrite many rows: index-only scans need the visibility map set again, and the
    planner fresh statistics. VACUUM runs outside a transaction, on sourcier's own tables only (on a
    shared server the others are not ours to vacuum)."""
    log.info("vacuuming after migrations %s", ", ".join(applied))
    tables = conn.execute(
        "SELECT schemaname, tablename FROM pg_tables WHERE tableowner = current_user AND schemaname = current_schema()"
    ).fetchall()
    if tables:
        names = sql.SQL(", ").join(sql.Identifier(schema, table) for schema, table in tables)
        conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(names))
