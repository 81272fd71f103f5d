"""Edges of the source checks that the admin validation spec leaves open: odd locations are refused as a 400,
never a 500, and a PATCH checks what it changes, by the kind of the source it changes."""

from __future__ import annotations

from typing import Any

import pytest

from sourcier.errors import ConfigError
from sourcier.store import sources
from sourcier.sync._validate import SourcePolicy, address_problem, check_location
from tests.api.conftest import Api, api, people

__all__ = ["api", "people"]


@pytest.mark.parametrize(
    ("kind", "location", "words"),
    [
        ("filesystem", "/srv/a\x00b", "control character"),
        ("filesystem", "/srv/docs\n", "control character"),
        ("web", "http://intra\x00net.example/", "control character"),
        ("web", "http://[::1/", "not a valid URL"),
    ],
)
def test_odd_locations_are_refused_with_a_reason(kind: str, location: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        check_location(kind, location, SourcePolicy())


def test_scoped_and_mapped_ipv6_addresses_are_read_as_their_address() -> None:
    assert address_problem("fe80::1%eth0") == "fe80::1%eth0, a link-local address"
    assert address_problem("::ffff:10.0.0.1") == "::ffff:10.0.0.1, a private address"
    assert address_problem("2606:4700::1111") is None


def test_a_patch_checks_what_it_changes(api: Api, people: None, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A folder the local CLI added outside the roots keeps working: its access list may still be tightened."""
    admin = api.token("root")
    outside = tmp_path_factory.mktemp("cli-added")
    sources.add_source(api.conn, name="cli", kind="filesystem", location=str(outside), every_s=None, read=["everyone"])
    sources.add_source(api.conn, name="site", kind="web", location="https://intranet.example/", every_s=None,
                       read=["everyone"])  # fmt: skip

    def patch(name: str, **body: Any) -> Any:
        return api.client.patch(f"/api/v1/admin/sources/{name}", json=body, headers=admin)

    assert patch("cli", read=["group:rh"]).status_code == 200
    assert sources.get_source(api.conn, "cli").default_acl == ["group:rh"]
    assert patch("cli", every="1h").status_code == 200
    moved = patch("cli", location=str(outside))  # re-pointing it is the API's to check: no roots, no folder
    assert moved.status_code == 400 and "SOURCIER_SOURCE_ROOTS" in moved.json()["error"]["message"]
    to_loopback = patch("site", location="http://127.0.0.1/")  # checked as a web source, its kind
    assert to_loopback.status_code == 400 and "loopback" in to_loopback.json()["error"]["message"]
    assert sources.get_source(api.conn, "site").location == "https://intranet.example/"
    assert patch("nope", read=["everyone"]).status_code == 404
