"""Every route of the app, generated from `app.routes`: anonymous → 401, plain user → 403 on admin routes,
admin → allowed. A route added without authentication makes this test fail."""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute

from tests.api.conftest import Api

# Routes anyone may call: health, sign-in, the pages (which redirect to /login themselves).
PUBLIC = {("GET", "/healthz"), ("GET", "/readyz"), ("POST", "/api/v1/auth/login"), ("GET", "/login")}
PAGES = {("GET", "/"), ("GET", "/admin")}  # anonymous: a redirect to /login, not a 401

PARAMS = {"name": "rh", "user": "bob", "source": "docs", "token_id": "3"}
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/ask"): {"question": "télétravail", "stream": False},
    ("POST", "/api/v1/search"): {"query": "télétravail"},
    ("POST", "/api/v1/tokens"): {"label": "t", "days": 1},
    ("POST", "/api/v1/answers/{answer_id}/feedback"): {"rating": "up"},
    ("POST", "/api/v1/answers/{answer_id}/regenerate"): {"stream": False},
    ("POST", "/api/v1/admin/users"): {"name": "carol"},
    ("POST", "/api/v1/admin/groups"): {"name": "compta"},
    ("PATCH", "/api/v1/admin/users/{name}"): {"is_admin": False},
    ("POST", "/v1/chat/completions"): {"model": "sourcier", "messages": [{"role": "user", "content": "télétravail"}]},
}


def _walk(routes: list[Any]) -> list[APIRoute]:
    """Every APIRoute, also inside included routers (FastAPI keeps them nested; create_app adds no prefix)."""
    found: list[APIRoute] = []
    for r in routes:
        if isinstance(r, APIRoute):
            found.append(r)
        elif (inner := getattr(r, "original_router", None)) is not None:
            found.extend(_walk(list(inner.routes)))
    return found


def _routes(api: Api) -> list[tuple[str, str]]:
    routes = _walk(list(api.app.routes))
    return [(m, r.path) for r in routes for m in sorted((r.methods or set()) - {"HEAD", "OPTIONS"})]


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PARAMS.get(m.group(1), "1"), path)


def _call(api: Api, method: str, path: str, headers: dict[str, str]) -> int:
    body = BODIES.get((method, path))
    kwargs: dict[str, Any] = {"headers": headers}
    if method in ("POST", "PATCH", "PUT"):
        kwargs["json"] = body if body is not None else {}
    r = api.client.request(method, _url(path), follow_redirects=False, **kwargs)
    return r.status_code


def test_every_route_is_authorised(api: Api, people: None, corpus: object) -> None:
    user, admin = api.token("alice"), api.token("root")
    api.token("alice")  # token 3, the one DELETE /tokens/{token_id} revokes
    # One answer of alice's, so that ids 1 resolve for her.
    assert api.client.post("/api/v1/ask", json={"question": "télétravail", "stream": False}, headers=user).is_success
    routes = _routes(api)
    assert len(routes) >= 30, routes
    assert {("GET", "/api/v1/openapi.json"), ("GET", "/api/v1/docs")} <= set(routes)  # signed-in users only
    checked = 0
    for method, path in routes:
        is_admin_route = path.startswith("/api/v1/admin")
        anon = _call(api, method, path, {})
        if (method, path) in PUBLIC:
            assert anon < 400 or anon == 422, (method, path, anon)
        elif (method, path) in PAGES:
            assert anon in (302, 303, 307), (method, path, anon)
        else:
            assert anon == 401, f"{method} {path} answered {anon} to an anonymous caller"
        as_user = _call(api, method, path, user)
        as_admin = _call(api, method, path, admin)
        if is_admin_route:
            assert as_user == 403, (method, path, as_user)
        else:
            assert as_user not in (401, 403) and as_user < 500, (method, path, as_user)
        assert as_admin not in (401, 403) and as_admin < 500, (method, path, as_admin)
        checked += 1
    print(f"{checked} routes checked")
