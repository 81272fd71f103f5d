"""Passwords, sign-in throttling, client addresses and token lifetimes, against the real app and database."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import httpx2  # what Starlette's TestClient is built on and returns (not httpx)
import pytest
from fastapi.testclient import TestClient
from psycopg import Connection
from typer.testing import CliRunner, Result

from sourcier import cli
from sourcier.api import create_app
from sourcier.api._auth import throttle_wait
from sourcier.api._client import client_address
from sourcier.config import Settings
from sourcier.store import sessions, users
from tests.api.conftest import PASSWORD, Api, api, people
from tests.conftest import FakeEmbedder

__all__ = ["api", "people"]  # the API fixtures, shared with tests/api

LOGIN = "/api/v1/auth/login"
PROXY = "10.9.9.9"  # the reverse proxy in front of the app, trusted for X-Forwarded-For
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def proxied(settings: Settings, conn: Connection[Any], fake_embedder: FakeEmbedder) -> Iterator[TestClient]:
    """The app behind a trusted proxy: each request's X-Forwarded-For says which client it comes from."""
    behind = settings.model_copy(update={"trusted_proxies": [ip_network(PROXY)]})
    app = create_app(behind, embedder=fake_embedder)
    with TestClient(app, base_url="http://testserver", client=(PROXY, 40000)) as client:
        yield client


def _sign_in(client: TestClient, name: str, password: str, address: str) -> httpx2.Response:
    client.cookies.clear()
    return client.post(LOGIN, json={"username": name, "password": password}, headers={"X-Forwarded-For": address})


def _age_attempts(conn: Connection[Any], by: timedelta) -> None:
    """Moves every recorded sign-in attempt `by` into the past: the throttle reads the database's clock."""
    conn.execute("UPDATE sign_in_attempts SET at = at - %s", (by,))


def _sessions_of(conn: Connection[Any], name: str) -> int:
    row = conn.execute(
        "SELECT count(*) FROM web_sessions s JOIN users u ON u.id = s.user_id WHERE u.name = %s", (name,)
    ).fetchone()
    assert row is not None
    return int(row[0])


# Passwords


def test_admin_password_reset_ends_the_users_sessions_and_revokes_their_tokens(api: Api, people: None) -> None:
    token = api.token("alice")
    assert api.client.post(LOGIN, json={"username": "alice", "password": PASSWORD}).status_code == 200
    sid = api.client.cookies["sourcier_session"]
    api.client.cookies.clear()
    r = api.client.patch("/api/v1/admin/users/alice", json={"password": NEW_PASSWORD}, headers=api.token("root"))
    assert r.status_code == 200, r.text
    assert _sessions_of(api.conn, "alice") == 0
    assert api.client.get("/api/v1/me", headers=token).status_code == 401
    api.client.cookies.set("sourcier_session", sid)
    assert api.client.get("/api/v1/me").status_code == 401
    api.client.cookies.clear()
    assert api.client.post(LOGIN, json={"username": "alice", "password": NEW_PASSWORD}).status_code == 200


def test_an_admin_changing_their_own_password_keeps_only_the_session_in_use(api: Api, people: None) -> None:
    token = api.token("root")
    assert api.client.post(LOGIN, json={"username": "root", "password": PASSWORD}).status_code == 200
    other_sid = api.client.cookies["sourcier_session"]  # root signed in on another computer
    api.client.cookies.clear()
    csrf = api.client.post(LOGIN, json={"username": "root", "password": PASSWORD}).json()["csrf_token"]
    r = api.client.patch("/api/v1/admin/users/root", json={"password": NEW_PASSWORD}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    assert api.client.get("/api/v1/me").json()["name"] == "root"  # still signed in here
    assert _sessions_of(api.conn, "root") == 1
    current = api.client.cookies["sourcier_session"]
    api.client.cookies.clear()
    assert api.client.get("/api/v1/me", headers=token).status_code == 401
    api.client.cookies.set("sourcier_session", other_sid)
    assert api.client.get("/api/v1/me").status_code == 401
    api.client.cookies.set("sourcier_session", current)
    assert api.client.get("/api/v1/me").status_code == 200


def test_a_password_change_and_its_sign_outs_are_one_transaction(conn: Connection[Any]) -> None:
    users.create_user(conn, "dave", password=PASSWORD)
    token = users.create_token(conn, "dave")
    sessions.create_session(conn, "dave", ttl=timedelta(hours=1))
    conn.execute(
        "CREATE FUNCTION fail_session_delete() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'no'; END$$"
    )
    conn.execute(
        "CREATE TRIGGER fail BEFORE DELETE ON web_sessions FOR EACH ROW EXECUTE FUNCTION fail_session_delete()"
    )
    try:
        with pytest.raises(Exception, match="no"):
            users.set_password(conn, "dave", NEW_PASSWORD)
        assert users.identity_for_token(conn, token).name == "dave"  # nothing of it happened
        assert users.authenticate_password(conn, "dave", PASSWORD).name == "dave"
    finally:
        conn.execute("DROP TRIGGER fail ON web_sessions")
        conn.execute("DROP FUNCTION fail_session_delete()")
    ended = users.set_password(conn, "dave", NEW_PASSWORD)
    assert (ended.tokens, ended.sessions) == (1, 1)


def test_disabling_a_user_blocks_sign_in_sessions_and_every_token(api: Api, people: None) -> None:
    token = api.token("alice")
    child = api.client.post("/api/v1/tokens", json={"days": 5}, headers=token).json()["token"]
    assert api.client.post(LOGIN, json={"username": "alice", "password": PASSWORD}).status_code == 200
    sid = api.client.cookies["sourcier_session"]
    api.client.cookies.clear()
    r = api.client.patch("/api/v1/admin/users/alice", json={"disabled": True}, headers=api.token("root"))
    assert r.status_code == 200
    for headers in (token, {"Authorization": f"Bearer {child}"}):
        assert api.client.get("/api/v1/me", headers=headers).status_code == 401
    api.client.cookies.set("sourcier_session", sid)
    assert api.client.get("/api/v1/me").status_code == 401
    api.client.cookies.clear()
    assert api.client.post(LOGIN, json={"username": "alice", "password": PASSWORD}).status_code == 401


@pytest.fixture
def run_cli(conn: Connection[Any], pg: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    monkeypatch.setenv("SOURCIER_DATABASE_URL", pg)
    monkeypatch.setenv("SOURCIER_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # no sourcier.toml of the working tree
    runner = CliRunner()
    return lambda *args, input=None: runner.invoke(cli.app, list(args), input=input)


def test_cli_password_change_signs_the_user_out(run_cli: Callable[..., Result], conn: Connection[Any]) -> None:
    users.create_user(conn, "erin", password=PASSWORD)
    token = users.create_token(conn, "erin")
    sessions.create_session(conn, "erin", ttl=timedelta(hours=1))
    result = run_cli("user", "password", "erin", input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "1 tokens revoked, 1 web sessions ended" in result.stdout
    with pytest.raises(Exception, match="unknown, expired or revoked"):
        users.identity_for_token(conn, token)
    assert _sessions_of(conn, "erin") == 0
    assert users.authenticate_password(conn, "erin", NEW_PASSWORD).name == "erin"


def test_cli_tokens_respect_token_max_days(
    run_cli: Callable[..., Result], conn: Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    users.create_user(conn, "erin")
    refused = run_cli("user", "token", "erin", "--days", "400")
    assert refused.exit_code == 2 and "token_max_days" in refused.output
    assert conn.execute("SELECT count(*) FROM api_tokens").fetchone() == (0,)
    monkeypatch.setenv("SOURCIER_TOKEN_MAX_DAYS", "30")
    assert run_cli("user", "token", "erin", "--days", "31").exit_code == 2
    made = run_cli("user", "token", "erin", "--days", "30")
    assert made.exit_code == 0 and made.stdout.startswith("sct_")


# Sign-in throttling


def test_failures_from_one_address_never_lock_the_owner_out_of_another(proxied: TestClient, people: None) -> None:
    for _ in range(8):
        r = _sign_in(proxied, "alice", "guess", ATTACKER)
        assert r.status_code in (401, 429)
    assert _sign_in(proxied, "alice", PASSWORD, ATTACKER).status_code == 429  # even the right password, there
    assert _sign_in(proxied, "alice", PASSWORD, OWNER).status_code == 200


def test_the_wait_starts_after_five_failures_doubles_with_each_and_answers_retry_after(
    proxied: TestClient, conn: Connection[Any], people: None
) -> None:
    for _ in range(5):
        assert _sign_in(proxied, "alice", "guess", ATTACKER).status_code == 401
    r = _sign_in(proxied, "alice", PASSWORD, ATTACKER)
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limited" and "try again" in r.json()["error"]["message"]
    assert 55 <= int(r.headers["retry-after"]) <= 60
    _age_attempts(conn, timedelta(seconds=61))
    assert _sign_in(proxied, "alice", "guess", ATTACKER).status_code == 401  # one more try, failed
    r = _sign_in(proxied, "alice", PASSWORD, ATTACKER)
    assert r.status_code == 429 and 115 <= int(r.headers["retry-after"]) <= 120
    _age_attempts(conn, timedelta(seconds=121))
    assert _sign_in(proxied, "alice", PASSWORD, ATTACKER).status_code == 200  # the wait is over


def test_the_pair_delay_doubles_up_to_fifteen_minutes() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    waits = [
        throttle_wait(
            sessions.AttemptHistory(pair_failures=n, pair_last_failure=now, address_budget_start=None, now=now)
        )
        for n in (4, 5, 6, 7, 8, 9, 10, 500)
    ]
    assert waits == [timedelta(0), *(timedelta(minutes=m) for m in (1, 2, 4, 8, 15, 15, 15))]


def test_a_success_resets_the_failures_of_that_name_and_address(proxied: TestClient, people: None) -> None:
    for _ in range(4):
        assert _sign_in(proxied, "alice", "guess", OWNER).status_code == 401
    assert _sign_in(proxied, "alice", PASSWORD, OWNER).status_code == 200
    for _ in range(4):
        assert _sign_in(proxied, "alice", "typo", OWNER).status_code == 401
    assert _sign_in(proxied, "alice", PASSWORD, OWNER).status_code == 200


def test_one_address_has_a_budget_of_failures_across_all_names(proxied: TestClient, people: None) -> None:
    for i in range(30):  # password spraying: one guess for each of many names
        assert _sign_in(proxied, f"user{i}", "Spring2025!", ATTACKER).status_code == 401
    r = _sign_in(proxied, "bob", PASSWORD, ATTACKER)
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
    assert 14 * 60 <= int(r.headers["retry-after"]) <= 15 * 60
    assert _sign_in(proxied, "bob", PASSWORD, OWNER).status_code == 200


def test_parallel_guesses_cannot_slip_past_the_count(proxied: TestClient, people: None) -> None:
    def guess(i: int) -> int:
        headers = {"X-Forwarded-For": ATTACKER}
        return proxied.post(LOGIN, json={"username": "alice", "password": f"guess{i}"}, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(guess, range(16)))
    assert codes.count(401) == 5 and codes.count(429) == 11, codes


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(api: Api, people: None) -> None:
    for i in range(5):  # the test client's own address, whatever the header claims
        headers = {"X-Forwarded-For": f"192.0.2.{i}"}
        assert api.client.post(LOGIN, json={"username": "alice", "password": "x"}, headers=headers).status_code == 401
    headers = {"X-Forwarded-For": "192.0.2.200"}
    r = api.client.post(LOGIN, json={"username": "alice", "password": PASSWORD}, headers=headers)
    assert r.status_code == 429


_PROXIES = [ip_network("10.0.0.0/8"), ip_network("fd00::/8")]


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.5", ["198.51.100.1"], "203.0.113.5"),  # not a proxy: its header is the client's own words
        ("10.0.0.1", [], "10.0.0.1"),
        ("10.0.0.1", ["198.51.100.1"], "198.51.100.1"),
        ("10.0.0.1", ["1.1.1.1, 198.51.100.1"], "198.51.100.1"),  # the left one was written by the client
        ("10.0.0.1", ["1.1.1.1, 198.51.100.1, 10.2.3.4"], "198.51.100.1"),  # through two proxies
        ("10.0.0.1", ["1.1.1.1", "198.51.100.1,10.2.3.4"], "198.51.100.1"),  # header repeated
        ("10.0.0.1", ["10.5.5.5, 10.2.3.4"], "10.5.5.5"),  # only proxies: the farthest
        ("fd00::1", ["2001:db8::7"], "2001:db8::7"),
        ("::ffff:10.0.0.1", ["198.51.100.1"], "198.51.100.1"),  # dual-stack socket
        ("10.0.0.1", ["1.1.1.1, not-an-ip"], "not-an-ip"),
        ("10.0.0.1", ["::FFFF:198.51.100.1"], "198.51.100.1"),
        (None, ["198.51.100.1"], "unknown"),
    ],
)
def test_client_address(peer: str | None, forwarded: list[str], expected: str) -> None:
    assert client_address(peer, forwarded, _PROXIES) == expected


def test_client_address_trusts_nobody_by_default() -> None:
    assert client_address("10.0.0.1", ["198.51.100.1"], []) == "10.0.0.1"


# Token lifetimes


def test_the_api_refuses_tokens_longer_than_token_max_days(api: Api, people: None) -> None:
    headers = api.token("alice")
    r = api.client.post("/api/v1/tokens", json={"days": 366}, headers=headers)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"
    assert "days" in r.json()["error"]["message"] and "token_max_days" in r.json()["error"]["message"]
    assert api.client.post("/api/v1/tokens", json={"days": 365}, headers=headers).status_code == 201


def test_a_token_cannot_mint_one_that_outlives_it(api: Api, people: None) -> None:
    parent = users.create_token(api.conn, "alice", days=2)
    parent_expiry = users.token_expiry(api.conn, parent)
    assert parent_expiry is not None
    r = api.client.post("/api/v1/tokens", json={"days": 300}, headers={"Authorization": f"Bearer {parent}"})
    assert r.status_code == 201
    child = r.json()
    assert datetime.fromisoformat(child["expires_at"]) == parent_expiry
    assert users.token_expiry(api.conn, child["token"]) == parent_expiry
    shorter = api.client.post("/api/v1/tokens", json={"days": 1}, headers={"Authorization": f"Bearer {parent}"})
    assert datetime.fromisoformat(shorter.json()["expires_at"]) < parent_expiry


def test_revoking_a_token_revokes_the_tokens_made_with_it(api: Api, people: None) -> None:
    root = api.token("alice")
    child = api.client.post("/api/v1/tokens", json={"days": 30}, headers=root).json()
    grandchild = api.client.post(
        "/api/v1/tokens", json={"days": 30}, headers={"Authorization": f"Bearer {child['token']}"}
    ).json()
    sibling = api.token("alice")
    assert api.client.delete(f"/api/v1/tokens/{child['id']}", headers=root).status_code == 200
    for made in (child, grandchild):
        assert api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {made['token']}"}).status_code == 401
    assert api.client.get("/api/v1/me", headers=root).status_code == 200
    assert api.client.get("/api/v1/me", headers=sibling).status_code == 200


def test_the_created_token_id_is_the_one_written(api: Api, people: None) -> None:
    users.create_token(api.conn, "alice")
    api.conn.execute("UPDATE api_tokens SET created_at = now() + interval '1 hour'")  # a later one by the clock
    api.client.post("/api/v1/tokens", json={"label": "ci", "days": 10}, headers=api.token("bob"))
    r = api.client.post("/api/v1/tokens", json={"label": "laptop", "days": 10}, headers=api.token("alice"))
    created = r.json()
    digest = hashlib.sha256(created["token"].encode()).digest()
    row = api.conn.execute("SELECT id, name, expires_at FROM api_tokens WHERE token_hash = %s", (digest,)).fetchone()
    assert row is not None
    assert (row[0], row[1], row[2]) == (created["id"], "laptop", datetime.fromisoformat(created["expires_at"]))
