from tests.api.conftest import PASSWORD, Api


def test_login_me_ask(api: Api, people: None, corpus: object) -> None:
    c = api.client
    r = c.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    assert r.status_code == 200, r.text
    csrf = r.json()["csrf_token"]
    assert c.get("/api/v1/me").json()["name"] == "alice"
    r = c.post(
        "/api/v1/ask",
        json={"question": "télétravail combien de jours ?", "stream": False},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 200, r.text
    assert r.json()["found"], r.json()
    with c.stream("POST", "/api/v1/ask", json={"question": "télétravail jours"}, headers={"X-CSRF-Token": csrf}) as s:
        body = s.read().decode()
    assert body.index("event: retrieval") < body.index("event: citations") < body.index("event: done"), body
