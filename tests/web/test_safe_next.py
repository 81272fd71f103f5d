"""Where sign-in may send the browser next: local paths only, read the way a browser reads URLs."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sourcier.web import router
from sourcier.web._pages import _safe_next
from tests.api.conftest import PASSWORD, Api, api, people

__all__ = ["api", "people"]  # the API fixtures, shared with tests/api

BASE = "http://testserver"

# What the page receives once the framework has decoded the query string.
ATTACKS = [
    "//evil",
    "/\\evil",
    "/\t/evil.example",  # /%09/evil.example
    "/\t/evil",
    "/\n/evil",
    "/\r\n/evil",
    "https://evil",
    "javascript:alert(1)",
    " //evil",
    "\x00//evil",
    "/\x00/evil",
    "//evil",  # %2F%2Fevil
    "\\\\evil",
    "/\\/evil",
    "/\t\\evil",
    "http:/evil",
    "HTTPS:evil",
    "evil.example/x",
    "",
]
GOOD = ["/", "/chat?c=1", "/admin/sources", "/admin?lang=en&x=1"]

# The same attacks as they travel in the URL of the sign-in page.
RAW_ATTACKS = [
    "//evil",
    "/%5Cevil",
    "/%09/evil.example/x",
    "/%0A/evil",
    "/%0D%0A/evil",
    "https://evil",
    "javascript:alert(1)",
    "%20//evil",
    "/%00/evil",
    "%2F%2Fevil",
    "%2F%09%2Fevil",
    "/%5C/evil",
]


def browser_host(target: str) -> str:
    """The host a browser goes to after `window.location.assign(target)` on the sign-in page: the WHATWG
    URL parser strips leading and trailing C0 controls and spaces, drops tabs and newlines and reads a
    backslash as a slash before resolving against the page's URL."""
    cleaned = target.strip("".join(chr(c) for c in range(0x21)))
    cleaned = re.sub(r"[\t\r\n]", "", cleaned).replace("\\", "/")
    resolved = urlsplit(urljoin(f"{BASE}/login", cleaned))
    return resolved.netloc if resolved.scheme in ("http", "https") else f"{resolved.scheme}:"


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_fall_back_to_home(attack: str) -> None:
    assert _safe_next(attack) == "/"


@pytest.mark.parametrize("good", GOOD)
def test_local_paths_are_kept(good: str) -> None:
    assert _safe_next(good) == good


@pytest.mark.parametrize("target", [*ATTACKS, *GOOD, "/%09/evil.example", "/a//b", "///evil", "/..//evil"])
def test_whatever_is_kept_stays_on_this_site(target: str) -> None:
    assert browser_host(_safe_next(target)) == "testserver"


def _rendered_next(page: str) -> str:
    match = re.search(r'data-next="([^"]*)"', page)
    assert match is not None
    return html.unescape(match.group(1))


@pytest.fixture
def pages() -> TestClient:
    app = FastAPI()
    app.include_router(router)
    return TestClient(app, base_url=BASE, follow_redirects=False)


@pytest.mark.parametrize("raw", RAW_ATTACKS)
def test_the_sign_in_page_renders_no_outside_target(pages: TestClient, raw: str) -> None:
    response = pages.get(f"/login?next={raw}")
    assert response.status_code == 200
    assert _rendered_next(response.text) == "/"
    assert "evil" not in response.text


def test_the_sign_in_page_keeps_a_local_target(pages: TestClient) -> None:
    response = pages.get("/login", params={"next": "/chat?c=1"})
    assert _rendered_next(response.text) == "/chat?c=1"


@pytest.mark.parametrize("raw", ["/%09/evil.example/x", "/%0A/evil", "%20//evil", "/%5C/evil"])
def test_signing_in_from_a_crafted_link_lands_on_this_site(api: Api, people: None, raw: str) -> None:
    page = api.client.get(f"/login?next={raw}")
    target = _rendered_next(page.text)
    assert api.client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD}).status_code == 200
    assert browser_host(target) == "testserver"  # where login.js sends the browser now
    landing = api.client.get(urljoin(f"{BASE}/login", target), follow_redirects=False)
    assert landing.status_code == 200 and "chat" in landing.text
