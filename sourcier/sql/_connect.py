"""Where the warehouse is, which catalogue describes it, and the warehouse path assembled from the settings."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from psycopg import Connection
from psycopg.conninfo import make_conninfo

from sourcier.config import Settings
from sourcier.errors import ConfigError
from sourcier.llm import ChatModel
from sourcier.sql._answer import SqlAnswer, WarehouseAnswerer
from sourcier.sql._catalogue import Catalogue, load_catalogue
from sourcier.sql._execute import ReaderPools, SqlExecutor
from sourcier.sql._generate import SqlGenerator
from sourcier.sql._llm import LlmSqlGenerator
from sourcier.sql._templates import TemplateSqlGenerator
from sourcier.sql._validate import SqlValidator
from sourcier.store import database, database_exists

WAREHOUSE_DATABASE = "warehouse"


@contextmanager
def warehouse(settings: Settings) -> Iterator[str]:
    """Yields the warehouse conninfo: `warehouse_url`, else the `warehouse` database of the embedded server."""
    if settings.warehouse_url is not None:
        yield settings.warehouse_url.get_secret_value()
        return
    if settings.database_url is not None:
        raise ConfigError(
            "No warehouse configured.", hint="set SOURCIER_WAREHOUSE_URL (the embedded server is not in use)"
        )
    with database(settings, name=WAREHOUSE_DATABASE) as conninfo:
        yield conninfo


def catalogue_from(settings: Settings) -> Catalogue:
    """The catalogue file named in the settings, or the demo catalogue."""
    return load_catalogue(settings.warehouse_catalogue)


class Warehouse:
    """The warehouse a process asks: where it is, its catalogue, and reader connections pooled per role.

    Built once by a composition root (the app, a CLI command) and closed with it. When it is the
    `warehouse` database of sourcier's own embedded server, it exists only once `sourcier warehouse demo`
    made it, which `reachable` looks up at each question (it may appear while the server runs).
    """

    def __init__(self, settings: Settings, *, conninfo: str, embedded_database: str | None = None) -> None:
        """`embedded_database`: the name of that database on sourcier's own server, looked up by `reachable`."""
        self._embedded_database = embedded_database
        self.catalogue = catalogue_from(settings)
        self._max_rows = settings.sql_max_rows
        self._templates = TemplateSqlGenerator()
        self._validator = SqlValidator(catalogue=self.catalogue, max_rows=settings.sql_max_rows)
        self._executor = SqlExecutor(
            max_rows=settings.sql_max_rows, max_bytes=settings.sql_max_bytes, timeout_ms=settings.sql_timeout_ms
        )
        self._pools = ReaderPools(conninfo)

    def reachable(self, conn: Connection[Any]) -> bool:
        """Whether it can be asked now; `conn` is a connection to sourcier's own database (same server)."""
        return self._embedded_database is None or database_exists(conn, self._embedded_database)

    def answer(self, question: str, principals: Sequence[str], *, model: ChatModel | None = None) -> SqlAnswer:
        """The model writes the SQL, the templates behind it; without a model the templates alone.

        Raises `SqlRefused` (explained in plain words) or `BackendUnavailable`; a question no generator can
        turn into SQL answers "Je ne sais pas".
        """
        generator: SqlGenerator = (
            self._templates if model is None else LlmSqlGenerator(model, max_rows=self._max_rows)
        )
        answerer = WarehouseAnswerer(
            readers=self._pools,
            catalogue=self.catalogue,
            generator=generator,
            fallback=None if model is None else self._templates,
            validator=self._validator,
            executor=self._executor,
        )
        return answerer.run(question, principals)

    def close(self) -> None:
        self._pools.close()


def warehouse_for(settings: Settings, *, embedded_server: str | None) -> Warehouse | None:
    """The warehouse of these settings: `warehouse_url`, else the `warehouse` database of sourcier's embedded
    server (`embedded_server`: the conninfo of sourcier's database on it, when sourcier runs its own); None
    when there is neither."""
    if settings.warehouse_url is not None:
        return Warehouse(settings, conninfo=settings.warehouse_url.get_secret_value())
    if embedded_server is None:
        return None
    conninfo = make_conninfo(embedded_server, dbname=WAREHOUSE_DATABASE)
    return Warehouse(settings, conninfo=conninfo, embedded_database=WAREHOUSE_DATABASE)
