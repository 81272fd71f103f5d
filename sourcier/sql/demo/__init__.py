"""The Maison Verdier demo warehouse: deterministic rows, its catalogue, and the reader roles it needs."""

from sourcier.sql.demo._data import SEED, DemoTables, generate
from sourcier.sql.demo._load import DemoReport, load_demo, reader_role_statements, reader_roles

__all__ = ["SEED", "DemoReport", "DemoTables", "generate", "load_demo", "reader_role_statements", "reader_roles"]
