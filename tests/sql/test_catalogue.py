"""The catalogue file: what it exposes, to whom, and the mistakes it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcier.errors import ConfigError
from sourcier.sql import Catalogue, load_catalogue


def test_demo_catalogue(catalogue: Catalogue) -> None:
    names = {t.qualified for t in catalogue.tables}
    assert names == {"sales.regions", "sales.customers", "sales.products", "sales.orders", "sales.order_lines",
                     "hr.salaries"}
    customers = catalogue.table("sales.customers")
    assert customers is not None and customers.column("email") is None  # personal data stays out
    assert all(t.description for t in catalogue.tables)
    assert any(t.examples for t in catalogue.tables)


def test_visibility_and_roles_follow_principals(catalogue: Catalogue) -> None:
    everyone = catalogue.visible_to(["everyone"])
    assert "hr.salaries" not in {t.qualified for t in everyone.tables}
    assert {m.name for m in everyone.measures} == {"chiffre d'affaires", "nombre de commandes", "quantité vendue"}
    rh = catalogue.visible_to(["everyone", "group:rh"])
    assert "hr.salaries" in {t.qualified for t in rh.tables}
    assert catalogue.role_for(["everyone"]) == "sourcier_wh_reader"
    assert catalogue.role_for(["everyone", "user:alice", "group:direction"]) == "sourcier_wh_reader_rh"
    assert catalogue.visible_to([]).tables == ()


BASE = """
name = "t"
[access]
default_role = "reader"
[[tables]]
schema = "s"
name = "a"
readers = ["everyone"]
columns = [{ name = "id", type = "integer" }]
"""


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ('[[tables]]\nschema = "s"\nname = "b"\ncolumns = [{ name = "x" }]\n', "no readers"),
        ('[[tables]]\nschema = "s"\nname = "b"\nreaders = ["everyone"]\n', "exposes no column"),
        ('[[tables]]\nschema = "s"\nname = "B-1"\nreaders = ["everyone"]\ncolumns = [{ name = "x" }]\n', "identifier"),
        ('[[tables]]\nschema = "s"\nname = "b"\nreaders = ["everyone"]\n'
         'columns = [{ name = "x", references = "s.zzz.id" }]\n', "not in the catalogue"),
        ('[[measures]]\nname = "m"\ntable = "s.zzz"\nexpression = "COUNT(*)"\nalias = "m"\n', "not in the catalogue"),
        ('default_measure = "nope"\n', "incomplete or wrong"),
    ],
)
def test_mistakes_are_config_errors(tmp_path: Path, extra: str, words: str) -> None:
    path = tmp_path / "catalogue.toml"
    body = extra + BASE if extra.startswith("default_measure") else BASE + extra
    path.write_text(body, "utf-8")
    with pytest.raises(ConfigError) as info:
        load_catalogue(path)
    assert words in str(info.value)


def test_unreadable_or_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Cannot read"):
        load_catalogue(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = ", "utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_catalogue(bad)
