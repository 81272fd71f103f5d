"""Where the warehouse is, which catalogue describes it, and the warehouse path assembled from the settings."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sourcier.config import Settings
from sourcier.errors import ConfigError
from sourcier.llm import ChatModel
from sourcier.sql._answer import SqlAnswer, WarehouseAnswerer
from sourcier.sql._catalogue import Catalogue, load_catalogue
from sourcier.sql._execute import SqlExecutor
from sourcier.sql._generate import SqlGenerator
from sourcier.sql._llm import LlmSqlGenerator
from sourcier.sql._templates import TemplateSqlGenerator
from sourcier.sql._validate import SqlValidator
from sourcier.store import database

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


def ask_warehouse(
    settings: Settings, question: str, principals: Sequence[str], *, model: ChatModel | None = None
) -> SqlAnswer:
    """The warehouse answer for the CLI and the API alike: the model writes the SQL, the templates behind it.

    Without a model the templates write it alone. Raises `SqlRefused` (explained in plain words) or
    `ConfigError` (no warehouse); a question no generator can turn into SQL answers "Je ne sais pas".
    """
    catalogue = catalogue_from(settings)
    templates = TemplateSqlGenerator()
    generator: SqlGenerator = templates if model is None else LlmSqlGenerator(model, max_rows=settings.sql_max_rows)
    with warehouse(settings) as conninfo:
        answerer = WarehouseAnswerer(
            conninfo=conninfo,
            catalogue=catalogue,
            generator=generator,
            fallback=None if model is None else templates,
            validator=SqlValidator(catalogue=catalogue, max_rows=settings.sql_max_rows),
            executor=SqlExecutor(
                max_rows=settings.sql_max_rows, max_bytes=settings.sql_max_bytes, timeout_ms=settings.sql_timeout_ms
            ),
        )
        return answerer.run(question, principals)
