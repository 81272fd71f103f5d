"""PostgreSQL: the only database. Explicit SQL, one module per table group."""

from sourcier.store import chunks, documents, embeddings, search
from sourcier.store._connect import connect, migrate, migration_files, spare_connection
from sourcier.store._server import database, describe

__all__ = [
    "chunks",
    "connect",
    "database",
    "describe",
    "documents",
    "embeddings",
    "migrate",
    "migration_files",
    "search",
    "spare_connection",
]
