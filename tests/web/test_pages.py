"""The page routes alone (no database): redirects when signed out, language choice, no outside URLs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sourcier.web import STRINGS, choose_language, router

WEB = Path(__file__).resolve().parents[2] / "sourcier" / "web"


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    app.include_router(router)
    return TestClient(app, follow_redirects=False)


@pytest.fixture
def signed_in(client: TestClient) -> TestClient:
    client.cookies.set("sourcier_session", "some-session-id")
    return client


@pytest.mark.parametrize(("path", "target"), [("/", "/login?next=/"), ("/admin", "/login?next=/admin")])
def test_signed_out_visitors_are_sent_to_sign_in(client: TestClient, path: str, target: str) -> None:
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == target


def test_login_page_is_french_by_default(client: TestClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    assert '<html lang="fr">' in response.text
    assert "Se connecter" in response.text and "Sign in" not in response.text


def test_lang_query_switches_to_english_and_is_remembered(client: TestClient) -> None:
    response = client.get("/login?lang=en")
    assert '<html lang="en">' in response.text and "Sign in" in response.text
    assert response.cookies.get("sourcier_lang") == "en"
    # the next page, without ?lang, keeps English (cookie), even against the browser's French
    again = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert '<html lang="en">' in again.text


def test_accept_language_picks_english(client: TestClient) -> None:
    response = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert '<html lang="en">' in response.text


@pytest.mark.parametrize(
    ("query", "cookie", "header", "expected"),
    [
        (None, None, None, "fr"),
        (None, None, "de-DE,en;q=0.8", "en"),
        (None, None, "en;q=0.2,fr;q=0.9", "fr"),
        (None, None, "en;q=garbage", "fr"),
        ("EN", None, "fr", "en"),
        ("xx", "en", "fr", "en"),
        (None, "zz", "en", "en"),
    ],
)
def test_choose_language(query: str | None, cookie: str | None, header: str | None, expected: str) -> None:
    assert choose_language(query, cookie, header) == expected


def test_sign_in_only_returns_to_local_paths(client: TestClient) -> None:
    assert 'data-next="/admin"' in client.get("/login?next=/admin").text
    for hostile in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert 'data-next="/"' in client.get("/login", params={"next": hostile}).text


@pytest.mark.parametrize("path", ["/", "/admin"])
def test_pages_carry_strings_and_no_data(signed_in: TestClient, path: str) -> None:
    response = signed_in.get(path)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    blob = re.search(r'<script type="application/json" id="i18n">(.*?)</script>', response.text, re.S)
    assert blob is not None and '"ask": "Demander"' in blob.group(1)


def test_chat_page_has_accessible_controls(signed_in: TestClient) -> None:
    html = signed_in.get("/?lang=en").text
    assert '<label for="question"' in html and 'id="question"' in html
    assert 'aria-live="polite"' in html
    assert "Data warehouse" in html


def test_static_files_are_served(client: TestClient) -> None:
    for name in ("app.js", "admin.js", "common.js", "login.js", "style.css"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200, name
        assert len(response.content) > 500


def test_no_outside_urls_and_no_inline_code(signed_in: TestClient) -> None:
    """Works offline under CSP default-src 'self': no CDN, no inline script or style, no HTML from data."""
    pages = [signed_in.get(p).text for p in ("/", "/admin", "/login", "/?lang=en")]
    assets = [p.read_text(encoding="utf-8") for p in (WEB / "static").iterdir()]
    for text in pages + assets:
        assert not re.search(r"(src|href)=[\"']?(https?:)?//", text)
        assert not re.search(r"url\((['\"])?(https?:)?//", text)
        assert "@import" not in text
    for html in pages:
        assert not re.search(r"<script(?![^>]*(\bsrc=|type=\"application/json\"))", html)
        assert " style=" not in html and "<style" not in html
        assert not re.search(r"\son[a-z]+=", html)
    for script in (WEB / "static").glob("*.js"):
        code = script.read_text(encoding="utf-8")
        assert "innerHTML" not in code and "insertAdjacentHTML" not in code and "eval(" not in code, script.name


def test_both_languages_have_the_same_strings() -> None:
    assert STRINGS["fr"].keys() == STRINGS["en"].keys()
    used = set()
    for path in [*(WEB / "templates").glob("*.html"), *(WEB / "static").glob("*.js")]:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"\bt\.(\w+)", text)) | set(re.findall(r"\bT\.(\w+)", text))
    assert used - STRINGS["fr"].keys() == set()
