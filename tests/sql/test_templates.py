"""The template engine: right answers for the common question shapes, checked against independent SQL."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from sourcier.sql import Catalogue, SqlAnswer, TemplateSqlGenerator, WarehouseAnswerer, direct_readers, route
from tests.sql.adversarial import Env

RH = ["everyone", "group:rh"]
REVENUE = "sum(l.quantity * l.unit_price * (1 - l.discount))"


@pytest.fixture(scope="module")
def admin(warehouse: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(warehouse, autocommit=True) as conn:
        yield conn


def ask(env: Env, question: str, principals: list[str] | None = None) -> SqlAnswer:
    answerer = WarehouseAnswerer(
        readers=direct_readers(env.conninfo),
        catalogue=env.catalogue,
        generator=TemplateSqlGenerator(),
        validator=env.validator,
        executor=env.executor,
    )
    return answerer.run(question, principals or ["everyone"])


def rows(admin: psycopg.Connection[Any], sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in admin.execute(sql).fetchall()]


def money(v: Any) -> Decimal:
    return Decimal(v).quantize(Decimal("0.01"))


@pytest.mark.parametrize("question", ["combien de clients en 2024 ?", "How many customers in 2024?",
                                      "Combien de clients ont commandé en 2024 ?"])
def test_count_of_customers_in_a_year(env: Env, admin: psycopg.Connection[Any], question: str) -> None:
    expected = rows(admin, "SELECT count(DISTINCT customer_id) FROM sales.orders "
                           "WHERE extract(year FROM order_date) = 2024")
    answer = ask(env, question)
    assert answer.result is not None and list(answer.result.rows) == expected
    assert answer.text.startswith(("Résultat", "Result")) and str(expected[0][0]) in answer.text


def test_count_of_a_table(env: Env) -> None:
    answer = ask(env, "Combien de produits ?")
    assert answer.result is not None and answer.result.rows == ((34,),)


def test_revenue_by_region_in_a_year(env: Env, admin: psycopg.Connection[Any]) -> None:
    expected = rows(admin, f"""
        SELECT r.name, round({REVENUE}, 2) FROM sales.regions r, sales.customers c, sales.orders o, sales.order_lines l
        WHERE c.region_id = r.region_id AND o.customer_id = c.customer_id AND l.order_id = o.order_id
          AND o.order_date BETWEEN '2024-01-01' AND '2024-12-31'
        GROUP BY r.name ORDER BY 2 DESC""")
    answer = ask(env, "Chiffre d'affaires 2024 par région")
    assert answer.result is not None and answer.result.columns == ("region", "chiffre_affaires")
    assert [(n, money(v)) for n, v in answer.result.rows] == [(n, money(v)) for n, v in expected]
    assert len(expected) == 8 and expected[0][0] in answer.text


def test_top_n_products_by_revenue(env: Env, admin: psycopg.Connection[Any]) -> None:
    expected = rows(admin, f"""
        SELECT p.name, round({REVENUE}, 2) FROM sales.order_lines l
        JOIN sales.products p USING (product_id) JOIN sales.orders o USING (order_id)
        WHERE extract(year FROM o.order_date) = 2023 GROUP BY p.product_id, p.name ORDER BY 2 DESC LIMIT 5""")
    for question in ("top 5 des produits par chiffre d'affaires en 2023", "top 5 products by revenue in 2023",
                     "les 5 meilleurs produits en 2023"):
        answer = ask(env, question)
        assert answer.result is not None, question
        assert [(n, money(v)) for n, v in answer.result.rows] == [(n, money(v)) for n, v in expected], question


def test_best_customer(env: Env, admin: psycopg.Connection[Any]) -> None:
    expected = rows(admin, f"""
        SELECT c.name FROM sales.order_lines l JOIN sales.orders o USING (order_id)
        JOIN sales.customers c USING (customer_id) WHERE extract(year FROM o.order_date) = 2024
        GROUP BY c.customer_id, c.name ORDER BY {REVENUE} DESC LIMIT 1""")
    answer = ask(env, "Quel est le meilleur client en 2024 ?")
    assert answer.result is not None and answer.result.rows[0][0] == expected[0][0]


def test_orders_by_year(env: Env, admin: psycopg.Connection[Any]) -> None:
    expected = rows(
        admin, "SELECT extract(year FROM order_date)::int, count(*) FROM sales.orders GROUP BY 1 ORDER BY 1"
    )
    answer = ask(env, "Nombre de commandes par an")
    assert answer.result is not None and list(answer.result.rows) == expected
    assert [y for y, _ in expected] == [2022, 2023, 2024, 2025]
    assert "de 2022 à 2025" in answer.text


def test_revenue_by_product_line_and_customers_by_region(env: Env, admin: psycopg.Connection[Any]) -> None:
    expected = dict(rows(admin, f"""SELECT p.product_line, round({REVENUE}, 2) FROM sales.order_lines l
                                    JOIN sales.products p USING (product_id) GROUP BY 1"""))
    answer = ask(env, "chiffre d'affaires par gamme")
    assert answer.result is not None and {k: money(v) for k, v in answer.result.rows} == {
        k: money(v) for k, v in expected.items()}
    expected = dict(rows(admin, """SELECT r.name, count(*) FROM sales.customers c JOIN sales.regions r USING (region_id)
                                   GROUP BY 1"""))
    answer = ask(env, "Combien de clients par région ?")
    assert answer.result is not None and dict(answer.result.rows) == expected  # type: ignore[arg-type]


def test_quantity_by_channel_in_a_year(env: Env, admin: psycopg.Connection[Any]) -> None:
    expected = dict(rows(admin, """SELECT o.channel, sum(l.quantity) FROM sales.order_lines l JOIN sales.orders o
                                   USING (order_id) WHERE o.order_date >= '2025-01-01' GROUP BY 1"""))
    answer = ask(env, "quantité vendue par canal en 2025")
    assert answer.result is not None and dict(answer.result.rows) == expected  # type: ignore[arg-type]


def test_restricted_measures_need_the_group(env: Env, admin: psycopg.Connection[Any]) -> None:
    assert not ask(env, "masse salariale par service").found
    expected = dict(rows(admin, "SELECT department, sum(annual_gross) FROM hr.salaries GROUP BY 1"))
    answer = ask(env, "masse salariale par service", RH)
    assert answer.result is not None and dict(answer.result.rows) == expected  # type: ignore[arg-type]
    assert answer.result.role == "sourcier_wh_reader_rh"


@pytest.mark.parametrize(
    "question",
    [
        "Combien de jours de télétravail par semaine ?",
        "combien de clients à Lyon ?",
        "chiffre d'affaires entre 2022 et 2024",
        "quel temps fera-t-il demain ?",
        "liste des clients",
        "chiffre d'affaires par mois",
        "",
    ],
)
def test_other_shapes_get_i_dont_know(env: Env, question: str) -> None:
    answer = ask(env, question)
    assert not answer.found and answer.sql is None and "ne sais pas" in answer.text


def test_the_generator_sees_only_readable_tables(catalogue: Catalogue) -> None:
    visible = catalogue.visible_to(["everyone"])
    assert TemplateSqlGenerator().generate("salaire moyen par site", visible) is None
    assert TemplateSqlGenerator().generate("salaire moyen par site", catalogue.visible_to(RH)) is not None


@pytest.mark.parametrize(
    ("question", "where"),
    [
        ("combien de clients en 2024 ?", "warehouse"),
        ("Chiffre d'affaires 2024 par région", "warehouse"),
        ("Quel est le chiffre d'affaires des clients de Lyon ?", "both"),
        ("top 10 des clients", "warehouse"),
        ("Combien de jours de télétravail par semaine ?", "documents"),
        ("Quel est le numéro du SAV à Marseille ?", "documents"),
        ("Comment réinitialiser mon mot de passe ?", "documents"),
        ("Quels sont les horaires du restaurant d'entreprise ?", "documents"),
    ],
)
def test_routing_rule(catalogue: Catalogue, question: str, where: str) -> None:
    assert route(question, catalogue.visible_to(["everyone"])) == where
