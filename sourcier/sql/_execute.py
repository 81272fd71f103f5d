"""Running a validated query: as a read-only login role, in a READ ONLY transaction, with time, row and byte caps.

The executor is the second line of defence. It logs in as the catalogue's reader role (never as the admin: a
superuser session that merely did SET ROLE could switch back with set_config('role', ...)), so PostgreSQL itself
refuses writes and tables or columns the role was not granted, whatever the query says. It reads through a
server-side cursor, which also makes PostgreSQL refuse a second statement smuggled into the text.

PostgreSQL's own messages are not shown as they are: "permission denied for table salaries" and "relation
"hr.salaries" does not exist" would each name a table, and tell a table that is there but not granted from one
that is not there at all. Both, and their column and function forms, become one message that names nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import Connection, errors
from psycopg_pool import ConnectionPool, PoolTimeout

from sourcier.errors import BackendUnavailable, SqlRefused
from sourcier.sql._validate import ValidatedQuery

log = logging.getLogger(__name__)

Cell = str | int | float | Decimal | bool | dt.date | dt.datetime | dt.time | None

_BATCH = 200
# Not granted (42501), no such table, column, schema or function: one answer, so none tells that a hidden one exists.
_NOT_IN_CATALOGUE_STATES = frozenset({"42501", "42P01", "42703", "3F000", "42883"})
NOT_IN_CATALOGUE = (
    "La requête utilise une table, une colonne ou une fonction qui n'est pas dans le catalogue de l'entrepôt."
)
_SET_LIMITS = """
SELECT set_config('statement_timeout', %(timeout)s, true),
       set_config('lock_timeout', %(timeout)s, true),
       set_config('idle_in_transaction_session_timeout', %(idle)s, true)
"""


@dataclass(frozen=True, slots=True)
class SqlResult:
    """What a query returned: column names, rows (capped), whether rows were left out, and how long it took."""

    sql: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    truncated: bool
    elapsed_ms: float
    role: str


_APPLICATION = "sourcier-sql"
_READ_ONLY = "-c default_transaction_read_only=on"


def connect_reader(conninfo: str, role: str) -> Connection[Any]:
    """A connection to the warehouse logged in as the read-only `role` (the user in `conninfo` is replaced).

    The server must let the role log in: the embedded server trusts its Unix socket; elsewhere use a
    password file (PGPASSFILE) or a matching pg_hba rule.
    """
    try:
        return psycopg.connect(conninfo, user=role, autocommit=True, application_name=_APPLICATION, options=_READ_ONLY)
    except psycopg.OperationalError as exc:
        raise _cannot_connect(role) from exc


ReaderConnection = Callable[[str], AbstractContextManager[Connection[Any]]]
"""Lends a connection to the warehouse logged in as a reader role, for one query."""


def direct_readers(conninfo: str) -> ReaderConnection:
    """A new connection per query (`connect_reader`): for one-off commands and tests; servers pool them."""
    return lambda role: connect_reader(conninfo, role)


class ReaderPools:
    """One small pool of read-only connections per reader role, opened on first use, for a server's life.

    A pooled connection carries nothing from one query to the next: the executor runs each query in a
    rolled-back READ ONLY transaction whose limits are transaction-local.
    """

    def __init__(self, conninfo: str, *, max_size: int = 4, timeout_s: float = 5.0) -> None:
        self._conninfo = conninfo
        self._max_size = max_size
        self._timeout_s = timeout_s
        self._pools: dict[str, ConnectionPool[Connection[Any]]] = {}
        self._lock = threading.Lock()

    def _pool(self, role: str) -> ConnectionPool[Connection[Any]]:
        with self._lock:
            pool = self._pools.get(role)
            if pool is None:
                pool = ConnectionPool(
                    self._conninfo,
                    min_size=0,
                    max_size=self._max_size,
                    kwargs={"user": role, "autocommit": True, "application_name": _APPLICATION, "options": _READ_ONLY},
                    name=f"sourcier-sql-{role}",
                    open=True,
                )
                self._pools[role] = pool
            return pool

    @contextmanager
    def __call__(self, role: str) -> Iterator[Connection[Any]]:
        pool = self._pool(role)
        try:
            conn = pool.getconn(timeout=self._timeout_s)
        except PoolTimeout as exc:
            raise _cannot_connect(role) from exc
        try:
            yield conn
        finally:
            pool.putconn(conn)

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()


def _cannot_connect(role: str) -> BackendUnavailable:
    return BackendUnavailable(
        f"Could not connect to the warehouse as {role}.",
        hint="run `sourcier warehouse demo`, or check SOURCIER_WAREHOUSE_URL and the reader roles",
    )


def _cell(value: object) -> Cell:
    if value is None or isinstance(value, str | int | float | Decimal | bool | dt.date | dt.datetime | dt.time):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()
    return str(value)


def _size(row: tuple[Cell, ...]) -> int:
    return sum(len(str(v)) for v in row if v is not None) + len(row)


class SqlExecutor:
    """Runs one validated query and returns at most `max_rows` rows and about `max_bytes` of cell text."""

    def __init__(self, *, max_rows: int = 1000, max_bytes: int = 1_000_000, timeout_ms: int = 5000) -> None:
        for name, value in (("max_rows", max_rows), ("max_bytes", max_bytes), ("timeout_ms", timeout_ms)):
            if value < 1:
                raise ValueError(f"{name} must be positive, got {value}")
        self._max_rows = max_rows
        self._max_bytes = max_bytes
        self._timeout_ms = timeout_ms

    def _explain(self, exc: psycopg.Error, conn: Connection[Any]) -> SqlRefused | BackendUnavailable:
        """A PostgreSQL error as a refusal the user can read (or, for a lost connection, an unavailable backend)."""
        state = exc.sqlstate or ""
        if isinstance(exc, errors.QueryCanceled) or state == "57014":
            return SqlRefused(
                f"La requête a dépassé le temps maximal autorisé ({self._timeout_ms / 1000:g} s) et a été arrêtée.",
                hint="posez une question plus précise (une année, une région)",
            )
        if state == "25006":
            return SqlRefused("La base de données a refusé la requête : elle tentait d'écrire.")
        if state in _NOT_IN_CATALOGUE_STATES:
            log.info("warehouse refused a query (%s): %s", state, exc.diag.message_primary)
            return SqlRefused(NOT_IN_CATALOGUE)
        if state.startswith(("53", "54")):
            return SqlRefused("La requête demande trop de ressources (mémoire, fichiers temporaires) et a été arrêtée.")
        if not state or state.startswith("08") or conn.closed:
            return BackendUnavailable("The warehouse connection failed while running the query.")
        detail = exc.diag.message_primary or type(exc).__name__
        log.info("warehouse refused a query (%s): %s", state, detail)
        if state.startswith(("22", "42")):  # the query's own mistakes: a division by zero, a GROUP BY to complete
            return SqlRefused(f"La base de données n'a pas pu exécuter la requête : {detail}.")
        return SqlRefused(f"La base de données n'a pas pu exécuter la requête (code {state}).")

    def run(self, conn: Connection[Any], query: ValidatedQuery) -> SqlResult:
        """Run `query` on a reader connection (see `connect_reader`); nothing it does is ever committed."""
        role = str(conn.info.user)
        start = time.perf_counter()
        rows: list[tuple[Cell, ...]] = []
        truncated = False
        try:
            with conn.transaction(force_rollback=True):
                conn.execute("SET TRANSACTION READ ONLY")
                limits = {"timeout": f"{self._timeout_ms}ms", "idle": f"{max(self._timeout_ms * 2, 10_000)}ms"}
                conn.execute(_SET_LIMITS, limits)
                with conn.cursor(name="sourcier_sql") as cur:
                    cur.execute(query.sql)
                    columns = tuple(d.name for d in cur.description or ())
                    size = 0
                    while not truncated:
                        batch = cur.fetchmany(_BATCH)
                        if not batch:
                            break
                        for raw in batch:
                            row = tuple(_cell(v) for v in raw)
                            size += _size(row)
                            if len(rows) >= self._max_rows or size > self._max_bytes:
                                truncated = True
                                break
                            rows.append(row)
        except psycopg.Error as exc:
            raise self._explain(exc, conn) from exc
        if query.capped and len(rows) >= query.limit:
            truncated = True  # the LIMIT the validator imposed may have cut rows off
        elapsed = (time.perf_counter() - start) * 1000
        return SqlResult(
            sql=query.sql, columns=columns, rows=tuple(rows), truncated=truncated, elapsed_ms=elapsed, role=role
        )
