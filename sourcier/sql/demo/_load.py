"""Loading the demo warehouse, and the reader roles any warehouse needs (derived from its catalogue)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources
from typing import Any

from psycopg import Connection, sql

from sourcier.sql._catalogue import EVERYONE, Catalogue
from sourcier.sql.demo._data import SEED, DemoTables, Row, generate
from sourcier.store import open_autocommit

log = logging.getLogger(__name__)

# Role settings: a second line behind the executor's own (it sets these per transaction as well).
_ROLE_SETTINGS: tuple[tuple[str, str], ...] = (
    ("default_transaction_read_only", "on"),
    ("statement_timeout", "30s"),
    ("idle_in_transaction_session_timeout", "60s"),
    ("temp_file_limit", "256MB"),
    ("search_path", "pg_catalog"),
)

_COLUMNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("sales", "regions", ("region_id", "name", "country", "agency")),
    ("sales", "products", ("product_id", "sku", "name", "product_line", "list_price")),
    ("sales", "customers", ("customer_id", "name", "segment", "city", "region_id", "created_on", "email")),
    ("sales", "orders", ("order_id", "customer_id", "order_date", "channel", "status")),
    ("sales", "order_lines", ("order_id", "line_no", "product_id", "quantity", "unit_price", "discount")),
    ("hr", "salaries", ("employee_ref", "job_title", "department", "site", "hired_on", "annual_gross")),
    ("audit", "access_log", ("id", "at", "who", "action")),
)

_ROLE_EXISTS = "SELECT 1 FROM pg_roles WHERE rolname = %(role)s"
_ROLE_ATTRIBUTES = (
    "ALTER ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT CONNECTION LIMIT 20"
)


@dataclass(frozen=True, slots=True)
class DemoReport:
    """What `load_demo` put in the warehouse: rows per table and the reader roles (re)created."""

    rows: tuple[tuple[str, int], ...]
    roles: tuple[str, ...]


def reader_roles(catalogue: Catalogue) -> list[tuple[str, tuple[str, ...]]]:
    """Each database role the catalogue names, with the principals whose tables it must be able to read."""
    roles: list[tuple[str, tuple[str, ...]]] = [(catalogue.default_role, (EVERYONE,))]
    roles += [(m.role, (EVERYONE, *m.principals)) for m in catalogue.roles if m.role != catalogue.default_role]
    return roles


def reader_role_statements(catalogue: Catalogue, database: str) -> list[sql.Composed]:
    """GRANT/ALTER statements that give each reader role SELECT on exactly its catalogue columns.

    The roles must already exist (LOGIN, no other privilege). Useful beyond the demo: an admin can run the same
    statements on a real warehouse.
    """
    out: list[sql.Composed] = [sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database))]
    schemas = sorted({t.schema for t in catalogue.tables})
    for role, principals in reader_roles(catalogue):
        r = sql.Identifier(role)
        for name, value in _ROLE_SETTINGS:
            out.append(
                sql.SQL("ALTER ROLE {} IN DATABASE {} SET {} = {}").format(
                    r, sql.Identifier(database), sql.Identifier(name), sql.Literal(value)
                )
            )
        out.append(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), r))
        for schema in schemas:
            out.append(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(sql.Identifier(schema), r))
        readable = [t for t in catalogue.tables if t.readable_by(principals)]
        for schema in sorted({t.schema for t in readable}):
            out.append(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), r))
        for t in readable:
            cols = sql.SQL(", ").join(sql.Identifier(c.name) for c in t.columns)
            out.append(
                sql.SQL("GRANT SELECT ({}) ON TABLE {} TO {}").format(cols, sql.Identifier(t.schema, t.name), r)
            )
    return out


def _copy(conn: Connection[Any], schema: str, table: str, columns: tuple[str, ...], rows: list[Row]) -> None:
    stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(schema, table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    with conn.cursor() as cur, cur.copy(stmt) as copy:
        for row in rows:
            copy.write_row(row)


def _rows(data: DemoTables, table: str) -> list[Row]:
    rows: list[Row] = getattr(data, table)
    return rows


def load_demo(conninfo: str, *, catalogue: Catalogue, seed: int = SEED) -> DemoReport:
    """(Re)create the Maison Verdier tables, rows and reader roles in the database at `conninfo` (an admin login).

    Everything in schemas sales, hr and audit is replaced; the reader roles are created if missing (LOGIN without
    password: the embedded server trusts its local socket) and granted SELECT on their catalogue columns only.
    """
    data = generate(seed)
    schema_sql = resources.files("sourcier.sql.demo").joinpath("schema.sql").read_text("utf-8")
    conn = open_autocommit(
        conninfo, unreachable="Could not connect to the warehouse database.", hint="check SOURCIER_WAREHOUSE_URL"
    )
    with conn:
        database = str(conn.info.dbname)
        with conn.transaction():
            conn.execute(schema_sql)  # trusted SQL shipped in the package
            for schema, table, columns in _COLUMNS:
                _copy(conn, schema, table, columns, _rows(data, table))
            roles = []
            for role, _ in reader_roles(catalogue):
                r = sql.Identifier(role)
                if conn.execute(_ROLE_EXISTS, {"role": role}).fetchone() is None:
                    log.info("creating role %s", role)
                    conn.execute(sql.SQL("CREATE ROLE {}").format(r))
                conn.execute(sql.SQL(_ROLE_ATTRIBUTES).format(r))  # whatever the role had before
                roles.append(role)
            for stmt in reader_role_statements(catalogue, database):
                conn.execute(stmt)
        for schema, table, _ in _COLUMNS:
            conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(schema, table)))
    counts = tuple((f"{schema}.{table}", len(_rows(data, table))) for schema, table, _ in _COLUMNS)
    return DemoReport(rows=counts, roles=tuple(roles))
