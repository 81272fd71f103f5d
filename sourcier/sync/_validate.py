"""Checking a source before it is stored: its name, its access list and where it points.

A source tells the sync engine what to read and who may then read it, so a wrong one is a leak: a folder holding
the server's secrets, a web "site" that is the cloud metadata service, a principal that grants nobody (or, written
"everyone,role:admin", means nothing the rules know). The API (a remote admin), the CLI (the machine's own user)
and sourcier.toml all call `check_source`, with a `SourcePolicy` saying how far the caller may reach.

The crawler calls `url_problem` and `address_problem` again for every request it makes: a name that resolved to
a public address when the source was added may resolve to a private one later (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sourcier.errors import ConfigError
from sourcier.types import PRINCIPAL_PATTERN

if TYPE_CHECKING:
    from sourcier.config import Settings, SourceConfig

NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]{0,62}")
PRINCIPAL_FORMS = "everyone, role:admin, user:NAME or group:NAME (NAME: lower-case letters, digits, '.', '_', '@', '-')"
# Never a source, whoever asks: what they hold is the machine's, not the company's documents.
SYSTEM_FOLDERS = tuple(
    Path(p) for p in ("/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/run", "/var/lib/postgresql")
)
PRIVATE_WEB_HINT = "set SOURCIER_ALLOW_PRIVATE_WEB_SOURCES=true to crawl an intranet on a private network"


@dataclass(frozen=True, slots=True)
class SourcePolicy:
    """How far a caller may reach. `roots` None: any folder (the machine's own user); a tuple: only under these."""

    home: Path | None = None  # sourcier's data directory (the embedded PostgreSQL's files): never a source
    roots: tuple[Path, ...] | None = None
    allow_private_web: bool = False

    @classmethod
    def local(cls, settings: Settings) -> SourcePolicy:
        """The CLI and sourcier.toml: whoever runs them already holds the machine and its files."""
        return cls(home=settings.home, roots=None, allow_private_web=settings.allow_private_web_sources)

    @classmethod
    def remote(cls, settings: Settings) -> SourcePolicy:
        """The API: an admin signed in from elsewhere reaches only the folders the server's owner listed."""
        return cls(
            home=settings.home,
            roots=tuple(settings.source_roots),
            allow_private_web=settings.allow_private_web_sources,
        )


@dataclass(frozen=True, slots=True)
class CheckedSource:
    """A source as it may be stored: the location normalised (a folder resolved, symlinks followed)."""

    name: str
    kind: str
    location: str
    read: list[str]


def check_source(*, name: str, kind: str, location: str, read: Sequence[str], policy: SourcePolicy) -> CheckedSource:
    """The source to store, or ConfigError saying what is wrong and how to write it."""
    return CheckedSource(
        name=check_name(name),
        kind=kind,
        location=check_location(kind, location, policy),
        read=check_principals(read),
    )


def check_declared(declared: Sequence[SourceConfig], policy: SourcePolicy) -> list[SourceConfig]:
    """Every `[[sources]]` table checked before any is stored: a file half applied is worse than one refused.

    The copies returned carry the normalised location; a refusal names sourcier.toml and the source, since
    whoever reads it has to find the table to fix among the others.
    """
    checked = []
    for d in declared:
        try:
            ok = check_source(name=d.name, kind=d.kind, location=d.location, read=d.read, policy=policy)
        except ConfigError as exc:
            raise ConfigError(f"sourcier.toml, source {d.name!r}: {exc.message}", hint=exc.hint) from exc
        checked.append(d.model_copy(update={"location": ok.location, "read": ok.read}))
    return checked


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise ConfigError(
            f"{name!r} is not a valid source name",
            hint="use 1 to 63 lower-case letters, digits, '-', '_' or '.', starting with a letter or digit",
        )
    return name


def check_principals(read: Sequence[str]) -> list[str]:
    """Each entry one principal, exactly: "everyone,role:admin" or "tout le monde" would grant nobody."""
    for p in read:
        if not isinstance(p, str) or not PRINCIPAL_PATTERN.fullmatch(p):
            raise ConfigError(f"{p!r} is not a principal", hint=f"write one per entry: {PRINCIPAL_FORMS}")
    return list(read)


def check_location(kind: str, location: str, policy: SourcePolicy) -> str:
    """Every kind has its check here: a new connector without one is refused rather than left unchecked."""
    if any(unicodedata.category(c).startswith("C") for c in location):  # NUL makes the OS calls raise, not answer
        raise ConfigError(f"{location!r} contains a control character", hint="write the location on one plain line")
    if kind == "filesystem":
        return check_folder(location, policy)
    if kind == "web":
        return check_web_url(location, allow_private=policy.allow_private_web)
    raise ConfigError(f"unknown source kind {kind!r}", hint="use filesystem or web")


def check_folder(location: str, policy: SourcePolicy) -> str:
    """The folder, resolved. Checked in an order that tells a remote admin nothing about folders outside the roots."""
    given = Path(location)
    if policy.roots is not None and not given.is_absolute():
        raise ConfigError(f"{location!r} is not an absolute path", hint="give the folder's full path on the server")
    path = given.expanduser().resolve()
    if path == Path(path.anchor):
        raise ConfigError("the filesystem root cannot be a source", hint="name the folder that holds the documents")
    system = next((s for s in SYSTEM_FOLDERS if path.is_relative_to(s)), None)
    if system is not None:
        raise ConfigError(f"{location} is in the system folder {system}: it cannot be a source")
    if policy.home is not None:
        home = policy.home.resolve()
        if path.is_relative_to(home) or home.is_relative_to(path):
            raise ConfigError(
                f"{location} holds or is inside sourcier's own data directory ({home}): it cannot be a source",
                hint="keep the documents in a folder of their own",
            )
    if policy.roots is not None:
        if not policy.roots:
            raise ConfigError(
                "this server does not let folders be added through the API",
                hint="its owner may list the allowed folders in SOURCIER_SOURCE_ROOTS, "
                "or add the source on the server with `sourcier source add`",
            )
        if not any(path.is_relative_to(root.expanduser().resolve()) for root in policy.roots):
            raise ConfigError(
                f"{location} is not under a folder this server allows",
                hint="allowed (source_roots): " + ", ".join(str(r) for r in policy.roots),
            )
    if not path.is_dir():
        raise ConfigError(f"{location} does not exist or is not a folder", hint="check the path, as the server sees it")
    return str(path)


def check_web_url(url: str, *, allow_private: bool) -> str:
    """An http(s) URL with a host; unless allowed, one whose every address is public."""
    url = url.strip()
    problem = _form_problem(url) or (None if allow_private else url_problem(url))
    if problem is not None:
        hint = PRIVATE_WEB_HINT if "address" in problem else "e.g. https://intranet.example/"
        raise ConfigError(f"web source: {problem}", hint=hint)
    return url


def _form_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1/": an unclosed IPv6 address
        return f"{url!r} is not a valid URL"
    if parts.scheme not in ("http", "https"):
        return f"{url!r} is not an http(s) URL"
    if not parts.hostname:
        return f"{url!r} has no host"
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        return f"{url!r} has an invalid port"
    return None


def url_problem(url: str) -> str | None:
    """Why this URL's host must not be fetched (it resolves to a non-public address), or None."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return f"{url!r} is not a valid URL"
    try:
        addresses = resolve(host, port)
    except OSError:
        return f"the host {host} could not be resolved"
    if not addresses:
        return f"the host {host} could not be resolved"
    for address in addresses:
        problem = address_problem(address)
        if problem is not None:
            return f"{host} resolves to {problem}"
    return None


def resolve(host: str, port: int) -> list[str]:
    """Every address the host name resolves to now (what a connection may use)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def address_problem(address: str) -> str | None:
    """ "127.0.0.1, a loopback address" for an address a web source must not reach; None for a public one."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 scope ("fe80::1%eth0") is not part of it
    except ValueError:
        return f"{address}, not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    for flag, what in (("is_unspecified", "an unspecified"), ("is_loopback", "a loopback"),
                       ("is_link_local", "a link-local"), ("is_multicast", "a multicast"),
                       ("is_private", "a private"), ("is_reserved", "a reserved")):  # fmt: skip
        if getattr(ip, flag):
            return f"{address}, {what} address"
    if not ip.is_global:  # shared (carrier-grade NAT) and other special-purpose ranges
        return f"{address}, a non-public address"
    return None
