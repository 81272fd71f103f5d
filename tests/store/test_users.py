from typing import Any

import pytest
from psycopg import Connection

from sourcier.errors import ConfigError, NotAuthenticated, NotFound
from sourcier.store import users


def test_identity_carries_user_group_everyone_and_admin_principals(conn: Connection[Any]) -> None:
    users.create_user(conn, "alice")
    users.create_user(conn, "root", is_admin=True)
    users.create_group(conn, "rh")
    users.add_member(conn, "rh", "alice")
    assert users.identity(conn, "alice").principals == ("everyone", "user:alice", "group:rh")
    assert users.identity(conn, "root").principals == ("everyone", "user:root", "role:admin")
    users.remove_member(conn, "rh", "alice")
    assert users.identity(conn, "alice").principals == ("everyone", "user:alice")


def test_disabled_or_unknown_user_is_not_authenticated(conn: Connection[Any]) -> None:
    users.create_user(conn, "bob")
    users.set_disabled(conn, "bob")
    with pytest.raises(NotAuthenticated):
        users.identity(conn, "bob")
    with pytest.raises(NotAuthenticated):
        users.identity(conn, "nobody")


def test_passwords_are_stored_hashed_and_verified(conn: Connection[Any]) -> None:
    users.create_user(conn, "carol", password="correct horse")
    stored = conn.execute("SELECT password_hash FROM users WHERE name = 'carol'").fetchone()
    assert stored is not None and stored[0].startswith("$argon2id$") and "correct horse" not in stored[0]
    assert users.authenticate_password(conn, "carol", "correct horse").name == "carol"
    with pytest.raises(NotAuthenticated, match="Wrong user name or password"):
        users.authenticate_password(conn, "carol", "wrong")
    with pytest.raises(NotAuthenticated, match="Wrong user name or password"):
        users.authenticate_password(conn, "mallory", "correct horse")


def test_tokens_are_hashed_expire_and_can_be_revoked(conn: Connection[Any]) -> None:
    users.create_user(conn, "dave")
    token = users.create_token(conn, "dave", days=1)
    assert conn.execute("SELECT count(*) FROM api_tokens WHERE token_hash = %s", (token.encode(),)).fetchone() == (0,)
    assert users.identity_for_token(conn, token).name == "dave"
    with pytest.raises(NotAuthenticated):
        users.identity_for_token(conn, token + "x")
    conn.execute("UPDATE api_tokens SET expires_at = now() - interval '1 second'")
    with pytest.raises(NotAuthenticated):
        users.identity_for_token(conn, token)
    fresh = users.create_token(conn, "dave")
    assert users.revoke_tokens(conn, "dave") == 2
    with pytest.raises(NotAuthenticated):
        users.identity_for_token(conn, fresh)


def test_names_are_validated_and_unique(conn: Connection[Any]) -> None:
    users.create_user(conn, "erin")
    with pytest.raises(ConfigError):
        users.create_user(conn, "erin")
    with pytest.raises(ConfigError):
        users.create_user(conn, "Erin,admin")
    with pytest.raises(NotFound):
        users.add_member(conn, "nogroup", "erin")
