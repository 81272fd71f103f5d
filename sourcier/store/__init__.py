"""PostgreSQL: the only database. Explicit SQL, one module per table group."""

from sourcier.store import chunks, documents, embeddings, search
from sourcier.store._connect import (
    applied_migrations,
    connect,
    migrate,
    migration_files,
    open_autocommit,
    spare_connection,
)
from sourcier.store._server import database, database_exists, describe

__all__ = [
    "applied_migrations",
    "chunks",
    "connect",
    "database",
    "database_exists",
    "describe",
    "documents",
    "embeddings",
    "migrate",
    "migration_files",
    "open_autocommit",
    "search",
    "spare_connection",
]
