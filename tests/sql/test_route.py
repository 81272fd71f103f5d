"""Routing measured on a labelled list: the examples' document questions, and warehouse questions."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from psycopg import Connection
from pydantic import SecretStr

from sourcier.config import Settings
from sourcier.sql import Catalogue, choose_route, route, warehouse_for
from sourcier.types import AskMode

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "verdier-questions.jsonl"
WAREHOUSE_QUESTIONS = [
    "combien de clients en 2024 ?",
    "How many customers in 2024?",
    "Combien de commandes en 2023 ?",
    "Nombre de commandes par an",
    "Chiffre d'affaires 2024 par région",
    "chiffre d'affaires par région en 2025",
    "Combien de clients par région ?",
    "Top 10 des clients par chiffre d'affaires",
    "top 5 des produits par chiffre d'affaires en 2023",
    "top 5 products by revenue in 2023",
    "Chiffre d'affaires par gamme",
    "revenue by region in 2024",
    "Quel est le chiffre d'affaires des clients de Lyon ?",
    "panier moyen par région",
    "nombre de produits par gamme",
]


def test_routing_confusion_on_the_labelled_list(catalogue: Catalogue, capsys: pytest.CaptureFixture[str]) -> None:
    visible = catalogue.visible_to(["everyone"])
    documents = [json.loads(line)["question"] for line in EXAMPLES.read_text("utf-8").splitlines()]
    confusion = Counter(("documents", route(q, visible)) for q in documents)
    confusion.update(("warehouse", route(q, visible)) for q in WAREHOUSE_QUESTIONS)
    with capsys.disabled():
        print(f"\nrouting (label -> route): {dict(sorted(confusion.items()))}")
    assert confusion["documents", "warehouse"] == 0  # a document question never loses its document answer
    assert confusion["warehouse", "documents"] == 0  # a figure question always reaches the warehouse
    assert confusion["documents", "documents"] >= len(documents) - 2
    assert confusion["warehouse", "warehouse"] >= len(WAREHOUSE_QUESTIONS) - 3


def test_choose_route_forced_and_unreachable(catalogue: Catalogue) -> None:
    q = "combien de clients en 2024 ?"
    assert choose_route(q, catalogue, reachable=True) == "warehouse"
    assert choose_route(q, catalogue, reachable=False) == "documents"
    assert choose_route(q, catalogue, reachable=True, force=AskMode.DOCUMENTS) == "documents"
    assert choose_route("Comment poser un congé ?", catalogue, reachable=True, force=AskMode.WAREHOUSE) == "warehouse"


def test_the_warehouse_of_the_settings_and_whether_it_can_be_asked(
    conn: Connection[Any], tmp_path: Path, pg: str, warehouse: str
) -> None:
    base: dict[str, Any] = {"home": tmp_path, "_env_file": None}
    configured = warehouse_for(Settings(**base, warehouse_url=SecretStr(warehouse)), embedded_server=None)
    assert configured is not None and configured.reachable(conn)
    outside = Settings(**base, database_url=SecretStr(pg))  # a server of its own, no warehouse URL
    assert warehouse_for(outside, embedded_server=None) is None
    embedded = warehouse_for(Settings(**base), embedded_server=pg)
    assert embedded is not None
    # The session's server stands in for the embedded one: it has no `warehouse` database until the demo makes one.
    assert not embedded.reachable(conn)
    conn.execute("CREATE DATABASE warehouse")
    try:
        assert embedded.reachable(conn)
    finally:
        conn.execute("DROP DATABASE warehouse")
