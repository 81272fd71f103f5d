"""Sign-in, sessions, CSRF, tokens, rate limiting and security headers, against the real app and database."""

from __future__ import annotations

from tests.api.conftest import PASSWORD, Api

LOGIN = "/api/v1/auth/login"


def _login(api: Api, name: str, password: str = PASSWORD) -> str:
    r = api.client.post(LOGIN, json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return str(r.json()["csrf_token"])


def test_sign_in_sets_cookies_and_sign_out_ends_the_session(api: Api, people: None) -> None:
    r = api.client.post(LOGIN, json={"username": "alice", "password": PASSWORD})
    assert r.status_code == 200
    assert r.json()["user"] == {"name": "alice", "is_admin": False, "groups": ["rh"]}
    cookies = r.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("sourcier_session="))
    assert "HttpOnly" in session and "SameSite=lax" in session.replace("Lax", "lax")
    csrf_cookie = next(c for c in cookies if c.startswith("sourcier_csrf="))
    assert "HttpOnly" not in csrf_cookie
    # Only a hash of the session id is stored.
    sid = api.client.cookies["sourcier_session"]
    stored = api.conn.execute("SELECT id_hash FROM web_sessions").fetchone()
    assert stored is not None and sid.encode() not in bytes(stored[0])
    assert api.client.get("/api/v1/me").json()["name"] == "alice"
    csrf = r.json()["csrf_token"]
    assert api.client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    api.client.cookies.set("sourcier_session", sid)  # replaying the old cookie does not work
    assert api.client.get("/api/v1/me").status_code == 401


def test_bad_credentials_answer_one_message(api: Api, people: None) -> None:
    api.conn.execute("UPDATE users SET disabled = true WHERE name = 'bob'")
    bodies = []
    for name, pw in (("alice", "wrong"), ("nobody", PASSWORD), ("bob", PASSWORD)):
        r = api.client.post(LOGIN, json={"username": name, "password": pw})
        assert r.status_code == 401
        bodies.append(r.json())
    assert bodies[0] == bodies[1] == bodies[2]
    assert "sourcier_session" not in api.client.cookies


def test_disabled_user_loses_session_and_token(api: Api, people: None) -> None:
    headers = api.token("alice")
    _login(api, "alice")
    api.conn.execute("UPDATE users SET disabled = true WHERE name = 'alice'")
    assert api.client.get("/api/v1/me").status_code == 401
    api.client.cookies.clear()
    assert api.client.get("/api/v1/me", headers=headers).status_code == 401


def test_rate_limit_after_five_failures(api: Api, people: None) -> None:
    for _ in range(5):
        assert api.client.post(LOGIN, json={"username": "alice", "password": "nope"}).status_code == 401
    r = api.client.post(LOGIN, json={"username": "alice", "password": PASSWORD})
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limited"
    # Another name from the same address is not yet blocked (per-address limit is higher).
    assert api.client.post(LOGIN, json={"username": "bob", "password": PASSWORD}).status_code == 200


def test_csrf_needed_for_cookie_writes_not_for_bearer(api: Api, people: None) -> None:
    csrf = _login(api, "alice")
    body = {"label": "x", "days": 1}
    assert api.client.post("/api/v1/tokens", json=body).status_code == 403
    assert api.client.post("/api/v1/tokens", json=body, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert api.client.post("/api/v1/tokens", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    headers = api.token("bob")
    api.client.cookies.clear()
    r = api.client.post("/api/v1/tokens", json=body, headers=headers)
    assert r.status_code == 201


def test_tokens_created_listed_revoked_and_expired(api: Api, people: None) -> None:
    admin = api.token("alice")
    r = api.client.post("/api/v1/tokens", json={"label": "laptop", "days": 30}, headers=admin)
    assert r.status_code == 201
    created = r.json()
    new = {"Authorization": f"Bearer {created['token']}"}
    assert api.client.get("/api/v1/me", headers=new).json()["name"] == "alice"
    listed = api.client.get("/api/v1/tokens", headers=new).json()
    assert created["token"] not in str(listed) and any(t["label"] == "laptop" for t in listed)
    # bob cannot revoke alice's token: 404 like a missing one
    assert api.client.delete(f"/api/v1/tokens/{created['id']}", headers=api.token("bob")).status_code == 404
    assert api.client.delete(f"/api/v1/tokens/{created['id']}", headers=new).status_code == 200
    assert api.client.get("/api/v1/me", headers=new).status_code == 401
    api.conn.execute("UPDATE api_tokens SET expires_at = now() - interval '1 second'")
    assert api.client.get("/api/v1/me", headers=admin).status_code == 401
    assert api.client.get("/api/v1/me", headers={"Authorization": "Bearer sct_made_up"}).status_code == 401
    assert api.client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_security_headers_on_every_response(api: Api, people: None) -> None:
    for r in (api.client.get("/healthz"), api.client.get("/api/v1/me"), api.client.get("/api/v1/nothing")):
        assert r.headers["content-security-policy"].startswith("default-src 'self'")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
        assert r.headers["x-frame-options"] == "DENY"


def test_health_and_readiness(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    assert api.client.get("/readyz").status_code == 200


def test_admin_disabling_a_user_ends_sessions_and_revokes_tokens_then_reenabling_needs_a_new_token(
    api: Api, people: None
) -> None:
    old_token = api.token("alice")
    _login(api, "alice")
    sid = api.client.cookies["sourcier_session"]
    api.client.cookies.clear()
    root = api.token("root")
    assert api.client.patch("/api/v1/admin/users/alice", json={"disabled": True}, headers=root).status_code == 200
    sessions_left = api.conn.execute(
        "SELECT count(*) FROM web_sessions s JOIN users u ON u.id = s.user_id WHERE u.name = 'alice'"
    ).fetchone()
    assert sessions_left == (0,)
    assert api.client.patch("/api/v1/admin/users/alice", json={"disabled": False}, headers=root).status_code == 200
    api.client.cookies.set("sourcier_session", sid)
    assert api.client.get("/api/v1/me").status_code == 401  # the session ended for good
    api.client.cookies.clear()
    assert api.client.get("/api/v1/me", headers=old_token).status_code == 401  # the token stays revoked
    assert api.client.get("/api/v1/me", headers=api.token("alice")).status_code == 200
    r = api.client.patch("/api/v1/admin/users/alice", json={"password": "a new long password"}, headers=root)
    assert r.status_code == 200
    assert api.client.post(LOGIN, json={"username": "alice", "password": PASSWORD}).status_code == 401
    assert api.client.post(LOGIN, json={"username": "alice", "password": "a new long password"}).status_code == 200


def test_sign_in_purges_expired_sessions_and_old_attempts(api: Api, people: None) -> None:
    _login(api, "bob")
    api.conn.execute("UPDATE web_sessions SET expires_at = now() - interval '1 minute'")
    api.conn.execute(
        "INSERT INTO sign_in_attempts (username, client_ip, ok, at) VALUES"
        " ('bob', '10.0.0.1', false, now() - interval '2 days'), ('bob', '10.0.0.1', false, now())"
    )
    api.client.cookies.clear()
    _login(api, "alice")
    (sessions_left,) = api.conn.execute("SELECT count(*) FROM web_sessions").fetchone() or (None,)
    assert sessions_left == 1  # alice's new one; bob's expired one is gone
    ips = api.conn.execute("SELECT client_ip, at > now() - interval '1 hour' FROM sign_in_attempts").fetchall()
    assert ("10.0.0.1", False) not in ips and ("10.0.0.1", True) in ips
