"""The client's address, as sign-in throttling counts it: the direct peer, or what trusted proxies say."""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Annotated

from fastapi import Depends, Request

from sourcier.api._deps import SettingsDep

Network = IPv4Network | IPv6Network
_UNKNOWN = "unknown"
_MAX_LEN = 64  # longer than any address: a hop that is not one cannot fill the attempts table


def _parse(text: str) -> IPv4Address | IPv6Address | None:
    try:
        addr = ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(addr, IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped  # "::ffff:10.0.0.1" is 10.0.0.1, on dual-stack sockets
    return addr


def _trusted(text: str, proxies: Sequence[Network]) -> bool:
    addr = _parse(text)
    return addr is not None and any(addr.version == net.version and addr in net for net in proxies)


def _canonical(text: str) -> str:
    addr = _parse(text)
    return str(addr) if addr is not None else text.strip()[:_MAX_LEN] or _UNKNOWN


def client_address(peer: str | None, forwarded_for: Sequence[str], proxies: Sequence[Network]) -> str:
    """`peer` unless it is a trusted proxy; then the right-most X-Forwarded-For hop that is not one.

    Each proxy appends the address it was reached from, so hops right of the first untrusted one were
    written by proxies we trust, and everything left of it by the client, who may write anything: taking
    the left-most hop would let an attacker pick a fresh address for every attempt.
    """
    if not peer:
        return _UNKNOWN
    if not _trusted(peer, proxies):
        return _canonical(peer)
    hops = [h.strip() for value in forwarded_for for h in value.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return _canonical(hop)
    return _canonical(hops[0]) if hops else _canonical(peer)


def request_client_address(request: Request, settings: SettingsDep) -> str:
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.getlist("x-forwarded-for"), settings.trusted_proxies)


ClientAddress = Annotated[str, Depends(request_client_address)]
