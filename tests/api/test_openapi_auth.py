"""The OpenAPI document and the Swagger UI page are for signed-in users: anonymous callers get the API's 401,
any user gets them with a bearer token or the session cookie."""

from __future__ import annotations

import pytest

from tests.api.conftest import PASSWORD, Api

DOCUMENT = "/api/v1/openapi.json"
PAGE = "/api/v1/docs"


@pytest.mark.parametrize("path", [DOCUMENT, PAGE, "/openapi.json", "/docs", "/redoc"])
def test_anonymous_callers_get_no_schema(api: Api, path: str) -> None:
    r = api.client.get(path)
    assert r.status_code in (401, 404), (path, r.status_code)
    assert r.status_code == 401 or path not in (DOCUMENT, PAGE)
    assert set(r.json()["error"]) == {"code", "message"} and "paths" not in r.text


def test_a_bad_token_gets_no_schema(api: Api) -> None:
    r = api.client.get(DOCUMENT, headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "not_authenticated"


def test_a_plain_user_reads_the_document_with_a_token(api: Api, people: None) -> None:
    r = api.client.get(DOCUMENT, headers=api.token("bob"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    paths = r.json()["paths"]
    assert "/api/v1/ask" in paths and "/v1/chat/completions" in paths
    assert DOCUMENT not in paths and PAGE not in paths  # the routes themselves stay out of the document


def test_a_signed_in_browser_gets_the_page_and_the_document(api: Api, people: None) -> None:
    r = api.client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    assert r.status_code == 200, r.text
    page = api.client.get(PAGE)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert DOCUMENT in page.text
    assert api.client.get(DOCUMENT).json()["info"]["title"] == "sourcier"
