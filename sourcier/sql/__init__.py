"""Read-only text-to-SQL over the warehouse: catalogue, generators, validator, executor.

A question becomes SQL (`TemplateSqlGenerator` without LLM, `LlmSqlGenerator` with the configured `sourcier.llm`
model, the templates as its fallback), the SQL is checked
against the catalogue and the caller's principals (`SqlValidator`), then run as a read-only role with time, row
and byte caps (`SqlExecutor`). `WarehouseAnswerer` chains the three.
"""

from sourcier.sql._answer import I_DONT_KNOW_SQL, SqlAnswer, WarehouseAnswerer
from sourcier.sql._catalogue import (
    EVERYONE,
    Catalogue,
    CatalogueColumn,
    CatalogueTable,
    Measure,
    RoleMapping,
    demo_catalogue_path,
    load_catalogue,
)
from sourcier.sql._connect import WAREHOUSE_DATABASE, Warehouse, catalogue_from, warehouse, warehouse_for
from sourcier.sql._execute import (
    Cell,
    ReaderConnection,
    ReaderPools,
    SqlExecutor,
    SqlResult,
    connect_reader,
    direct_readers,
)
from sourcier.sql._generate import SqlGenerator
from sourcier.sql._llm import LlmSqlGenerator, extract_sql, load_prompt
from sourcier.sql._route import choose_route, route
from sourcier.sql._summary import format_cell, summarise
from sourcier.sql._templates import TemplateSqlGenerator
from sourcier.sql._validate import SqlValidator, ValidatedQuery

__all__ = [
    "EVERYONE",
    "I_DONT_KNOW_SQL",
    "WAREHOUSE_DATABASE",
    "Catalogue",
    "CatalogueColumn",
    "CatalogueTable",
    "Cell",
    "LlmSqlGenerator",
    "Measure",
    "ReaderConnection",
    "ReaderPools",
    "RoleMapping",
    "SqlAnswer",
    "SqlExecutor",
    "SqlGenerator",
    "SqlResult",
    "SqlValidator",
    "TemplateSqlGenerator",
    "ValidatedQuery",
    "Warehouse",
    "WarehouseAnswerer",
    "catalogue_from",
    "choose_route",
    "connect_reader",
    "demo_catalogue_path",
    "direct_readers",
    "extract_sql",
    "format_cell",
    "load_catalogue",
    "load_prompt",
    "route",
    "summarise",
    "warehouse",
    "warehouse_for",
]
