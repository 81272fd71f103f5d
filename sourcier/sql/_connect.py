"""Where the warehouse is, and which catalogue describes it, from the settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sourcier.config import Settings
from sourcier.errors import ConfigError
from sourcier.sql._catalogue import Catalogue, load_catalogue
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
