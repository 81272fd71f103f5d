"""The warehouse catalogue: which tables and columns are exposed, described for people and the LLM, and who reads them.

Admins write it as TOML (see `sourcier/sql/demo/catalogue.toml`). The catalogue, not the live database, is what
the generator sees and what the validator checks against; the database roles it names are the second line of
defence (see `sourcier.sql.demo.reader_role_statements`).

Principals are plain strings for now ("everyone", "group:finance", "user:alice"); they come from authentication
once users and groups exist.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from sourcier.errors import ConfigError

EVERYONE = "everyone"
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class CatalogueColumn:
    name: str
    type: str
    description: str = ""
    references: str | None = None  # "schema.table.column" this column points to (a join the generator may use)
    synonyms: tuple[str, ...] = ()  # words naming this column as a dimension ("gamme", "segment")


@dataclass(frozen=True, slots=True)
class CatalogueTable:
    schema: str
    name: str
    description: str
    columns: tuple[CatalogueColumn, ...]
    readers: tuple[str, ...]  # principals allowed to query the table
    synonyms: tuple[str, ...] = ()  # words naming the table's rows ("clients", "customers")
    key: str | None = None  # primary key, counted by "combien de ..."
    label: str | None = None  # column naming a row in results ("name")
    alias: str | None = None  # output name of the label column ("client")
    date: str | None = None  # the date column that "en 2024" / "par an" filter on
    examples: tuple[str, ...] = ()

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def column(self, name: str) -> CatalogueColumn | None:
        return next((c for c in self.columns if c.name == name), None)

    def readable_by(self, principals: Iterable[str]) -> bool:
        return not set(self.readers).isdisjoint(principals)


@dataclass(frozen=True, slots=True)
class Measure:
    """A named aggregate over one table ("chiffre d'affaires" = SUM(quantity * unit_price ...))."""

    name: str
    table: str  # schema.table
    expression: str  # SQL over that table's columns, qualified by the table name
    alias: str
    synonyms: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True, slots=True)
class RoleMapping:
    """Callers holding any of `principals` run their queries as the database role `role`."""

    principals: tuple[str, ...]
    role: str


@dataclass(frozen=True, slots=True)
class Catalogue:
    name: str
    tables: tuple[CatalogueTable, ...]
    default_role: str
    roles: tuple[RoleMapping, ...] = ()
    measures: tuple[Measure, ...] = ()
    default_measure: str | None = None
    description: str = ""
    dialect: str = "postgres"
    source: str = field(default="", compare=False)

    def table(self, qualified: str) -> CatalogueTable | None:
        return next((t for t in self.tables if t.qualified == qualified), None)

    def tables_named(self, name: str) -> list[CatalogueTable]:
        return [t for t in self.tables if t.name == name]

    def visible_to(self, principals: Sequence[str]) -> Catalogue:
        """The catalogue restricted to the tables (and measures over them) these principals may read."""
        tables = tuple(t for t in self.tables if t.readable_by(principals))
        names = {t.qualified for t in tables}
        measures = tuple(m for m in self.measures if m.table in names)
        default = self.default_measure if any(m.name == self.default_measure for m in measures) else None
        return replace(self, tables=tables, measures=measures, default_measure=default)

    def role_for(self, principals: Sequence[str]) -> str:
        """The database role a caller's queries run as: the first mapping matching a principal, else the default."""
        for mapping in self.roles:
            if not set(mapping.principals).isdisjoint(principals):
                return mapping.role
        return self.default_role

    def schema_for_sqlglot(self) -> dict[str, dict[str, dict[str, str]]]:
        """{schema: {table: {column: type}}}: what sqlglot resolves columns against."""
        out: dict[str, dict[str, dict[str, str]]] = {}
        for t in self.tables:
            out.setdefault(t.schema, {})[t.name] = {c.name: c.type for c in t.columns}
        return out


def demo_catalogue_path() -> Path:
    """The Maison Verdier demo catalogue shipped in the package."""
    return Path(str(resources.files("sourcier.sql.demo").joinpath("catalogue.toml")))


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read and check a catalogue file (the demo one when `path` is None); mistakes raise ConfigError."""
    path = path or demo_catalogue_path()
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"Cannot read the warehouse catalogue {path}.", hint=str(exc)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The warehouse catalogue {path} is not valid TOML.", hint=str(exc)) from exc
    try:
        return _build(data, str(path))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"The warehouse catalogue {path} is incomplete or wrong.", hint=str(exc)) from exc


def _strs(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{what} must be a list of strings")
    return tuple(value)


def _ident(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _IDENT.match(value):
        raise ValueError(f"{what} must be a lower-case SQL identifier, got {value!r}")
    return value


def _build(data: dict[str, Any], source: str) -> Catalogue:
    tables: list[CatalogueTable] = []
    for raw in data.get("tables", []):
        schema, name = _ident(raw["schema"], "table schema"), _ident(raw["name"], "table name")
        columns = tuple(
            CatalogueColumn(
                name=_ident(c["name"], f"column of {schema}.{name}"),
                type=str(c.get("type", "text")),
                description=str(c.get("description", "")),
                references=c.get("references"),
                synonyms=_strs(c.get("synonyms"), "column synonyms"),
            )
            for c in raw.get("columns", [])
        )
        if not columns:
            raise ValueError(f"table {schema}.{name} exposes no column")
        readers = _strs(raw.get("readers"), f"readers of {schema}.{name}")
        if not readers:
            raise ValueError(f"table {schema}.{name} has no readers (use [\"{EVERYONE}\"] for all)")
        table = CatalogueTable(
            schema=schema,
            name=name,
            description=str(raw.get("description", "")),
            columns=columns,
            readers=readers,
            synonyms=_strs(raw.get("synonyms"), "table synonyms"),
            key=raw.get("key"),
            label=raw.get("label"),
            alias=raw.get("alias"),
            date=raw.get("date"),
            examples=_strs(raw.get("examples"), "examples"),
        )
        for col in (table.key, table.label, table.date):
            if col is not None and table.column(col) is None:
                raise ValueError(f"{table.qualified}: {col!r} is not one of its columns")
        tables.append(table)
    if len({t.qualified for t in tables}) != len(tables):
        raise ValueError("a table is described twice")
    known = {t.qualified for t in tables}
    for t in tables:
        for c in t.columns:
            if c.references is not None and c.references.rsplit(".", 1)[0] not in known:
                raise ValueError(f"{t.qualified}.{c.name} references {c.references}, which is not in the catalogue")
    measures = tuple(
        Measure(
            name=str(m["name"]),
            table=str(m["table"]),
            expression=str(m["expression"]),
            alias=_ident(m["alias"], "measure alias"),
            synonyms=_strs(m.get("synonyms"), "measure synonyms"),
            description=str(m.get("description", "")),
        )
        for m in data.get("measures", [])
    )
    for m in measures:
        if m.table not in known:
            raise ValueError(f"measure {m.name!r} is over {m.table}, which is not in the catalogue")
    access = data.get("access", {})
    roles = tuple(
        RoleMapping(principals=_strs(r["principals"], "role principals"), role=_ident(r["role"], "role"))
        for r in access.get("roles", [])
    )
    default_measure = data.get("default_measure")
    if default_measure is not None and not any(m.name == default_measure for m in measures):
        raise ValueError(f"default_measure {default_measure!r} is not a declared measure")
    return Catalogue(
        name=str(data.get("name", "warehouse")),
        description=str(data.get("description", "")),
        dialect=str(data.get("dialect", "postgres")),
        tables=tuple(tables),
        default_role=_ident(access["default_role"], "access.default_role"),
        roles=roles,
        measures=measures,
        default_measure=default_measure,
        source=source,
    )
