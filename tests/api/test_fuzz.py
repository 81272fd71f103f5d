"""Property-based fuzzing of every route in the OpenAPI schema (schemathesis): no 500s, no schema violations.

Run once as a plain user with a bearer token and once anonymously, against the real app and database, with
a handful of examples per operation so that the whole module stays under a minute on 2 cores.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from sourcier import store
from sourcier.api import create_app
from sourcier.config import Settings
from sourcier.store import users
from tests.api.test_openai_compat import PUBLIC
from tests.conftest import FakeEmbedder, add_document, empty_tables

CHECKS = [not_a_server_error, response_schema_conformance]
FUZZ = settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), database=None)


@pytest.fixture(scope="module")
def fuzzed_app(pg: str) -> Iterator[tuple[FastAPI, str]]:
    """One app for the module (schemathesis keeps an ASGI app's lifespan running), a user and its token.

    The tables are emptied at the end, as the `conn` fixture would do.
    """
    home = Path(tempfile.mkdtemp(prefix="scfuzz-"))
    app_settings = Settings(home=home, database_url=pg, parse_workers=1)  # type: ignore[arg-type]
    with store.connect(pg) as conn:
        emb = FakeEmbedder()
        add_document(conn, emb, "guide.md", ["everyone"], [PUBLIC], sections=("Règles",))
        users.create_user(conn, "decoy")
        for _ in range(5):  # small token ids belong to someone else: a fuzzed DELETE /tokens/1 is not ours
            users.create_token(conn, "decoy", days=1)
        users.create_user(conn, "bob")
        token = users.create_token(conn, "bob", days=1)
        yield create_app(app_settings, embedder=emb), token
        empty_tables(conn)


@pytest.fixture(scope="module")
def api_schema(fuzzed_app: tuple[FastAPI, str]) -> Any:
    """Loaded as the signed-in user: the document is not served to anonymous callers."""
    app, token = fuzzed_app
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app, headers={"Authorization": f"Bearer {token}"})


schema = schemathesis.pytest.from_fixture("api_schema").exclude(path="/api/v1/auth/logout")


@schema.parametrize()
@FUZZ
def test_no_server_error_and_schema_conformance_as_a_user(case: Any, fuzzed_app: tuple[FastAPI, str]) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {fuzzed_app[1]}"}, checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_no_server_error_and_schema_conformance_anonymous(case: Any) -> None:
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code != 200 or case.path in _PUBLIC_PATHS or (case.method == "GET" and _is_page(case.path))


_PUBLIC_PATHS = {"/healthz", "/readyz", "/api/v1/auth/login"}


def _is_page(path: str) -> bool:
    """Web pages and static files answer anonymous callers (a sign-in page, or a redirect to it)."""
    return not path.startswith(("/api/", "/v1/"))
