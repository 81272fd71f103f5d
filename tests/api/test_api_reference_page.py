"""The reference page at /api/v1/docs works where the app runs: offline and under its own CSP.

Swagger UI (FastAPI's `get_swagger_ui_html`) loaded its script and stylesheet from a CDN, which
`default-src 'self'` blocks (and offline machines cannot reach): the page was blank. The page is now HTML
rendered from the OpenAPI document, with nothing for the browser to fetch or run.
"""

from __future__ import annotations

import re

from sourcier.api._openapi import DOCS_PATH, OPENAPI_PATH, reference_page
from tests.api.conftest import PASSWORD, Api


def test_the_page_lists_every_route_and_needs_nothing_the_csp_blocks(api: Api, people: None) -> None:
    bob = api.token("bob")
    page = api.client.get(DOCS_PATH, headers=bob)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    html = page.text
    # Nothing to load or run: no script, no stylesheet, no inline style, no address of another host.
    assert not re.search(r"<script|<link|<style|<img|<iframe|\sstyle=|\son\w+=|//[a-z0-9.-]+\.[a-z]", html, re.I)
    assert f'href="{OPENAPI_PATH}"' in html
    document = api.client.get(OPENAPI_PATH, headers=bob).json()
    for path, item in document["paths"].items():
        for method in item:
            assert f"<h3>{method.upper()} {path}</h3>" in html, (method, path)
    for name in document["components"]["schemas"]:
        assert f'<section id="{name}">' in html, name
    ask = html[html.index("<h3>POST /api/v1/ask</h3>") :].split("</section>")[0]
    assert "<td>application/json</td><td>body</td><td>AskIn</td><td>yes</td>" in ask


def test_a_signed_in_browser_reads_it_with_its_cookie_and_anonymous_callers_do_not(api: Api, people: None) -> None:
    anonymous = api.client.get(DOCS_PATH)
    assert anonymous.status_code == 401 and "/api/v1/ask" not in anonymous.text
    assert api.client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD}).status_code == 200
    assert "<h3>POST /api/v1/ask</h3>" in api.client.get(DOCS_PATH).text


def test_text_from_the_document_is_escaped() -> None:
    schema = {
        "info": {"title": "<b>x</b>", "version": "1"},
        "paths": {"/a/{id}": {"get": {"summary": "<script>alert(1)</script>", "description": "a & b\n\n<i>c</i>",
                                      "parameters": [{"name": "\"><img src=x>", "in": "path", "required": True,
                                                      "schema": {"type": "integer"}}],
                                      "responses": {"200": {"description": "<ok>"}}}}},
        "components": {"schemas": {"M": {"properties": {"<f>": {"anyOf": [{"type": "string"}, {"type": "null"}]}}}}},
    }  # fmt: skip
    html = reference_page(schema, openapi_url='/x"><script>')
    assert "<script" not in html and "<img" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<p>a &amp; b</p>" in html
    assert "<td>&lt;f&gt;</td><td>string | null</td><td>no</td>" in html
    assert "<li>200: &lt;ok&gt;</li>" in html
