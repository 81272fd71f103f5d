"""How one website is crawled: discovery, bounds, politeness, timeouts and who may read its pages.

The options are checked when they are made, without any I/O, so that a source with an unusable setting is
refused when it is built rather than half-way through a crawl.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from sourcier.errors import ConfigError
from sourcier.types import PRINCIPAL_PATTERN

DISCOVERIES = ("auto", "sitemap", "links")
_PATTERNS = frozenset({"include", "exclude"})


@dataclass(frozen=True, slots=True)
class WebOptions:
    """The settings of one web source; the defaults are those of a source that sets nothing.

    `discovery` is "auto" (the sitemap when there is one, else links), "sitemap" or "links". `include`
    and `exclude` are URL patterns (fnmatch): exclude keeps pages from being followed at all, include only
    chooses which followed pages become items. `read` is the access list of every page (principals such as
    "group:staff"); None leaves the source's default, admins only. `allow_private_web` lets the crawl reach
    loopback, private and link-local addresses: the server's setting, never a source's.
    """

    discovery: str = "auto"
    max_pages: int = 1000
    max_depth: int = 5
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    read: tuple[str, ...] | None = None
    user_agent: str | None = None  # None: "sourcier/<version>"
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 10.0
    listing_budget_s: float = 600.0  # the whole listing; pages not visited by then are reported
    max_bytes: int = 20 * 1024 * 1024  # one page's body
    delay_s: float = 0.0  # between requests, at least; robots.txt's Crawl-delay may ask for more
    allow_private_web: bool = False

    def __post_init__(self) -> None:
        if self.discovery not in DISCOVERIES:
            raise ConfigError(f"web source: discovery {self.discovery!r} is not one of {', '.join(DISCOVERIES)}")
        for name, value, least in (("max_pages", self.max_pages, 1), ("max_depth", self.max_depth, 0),
                                   ("max_bytes", self.max_bytes, 1)):  # fmt: skip
            if value < least:
                raise ConfigError(f"web source: {name} must be positive, got {value}")
        for name, seconds in (("connect_timeout_s", self.connect_timeout_s), ("read_timeout_s", self.read_timeout_s),
                              ("listing_budget_s", self.listing_budget_s)):  # fmt: skip
            if not seconds > 0:
                raise ConfigError(f"web source: {name} must be more than 0 s, got {seconds}")
        if self.delay_s < 0:
            raise ConfigError(f"web source: delay_s cannot be negative, got {self.delay_s}")
        if self.read is not None:
            bad = [p for p in self.read if not PRINCIPAL_PATTERN.match(p)]
            if bad:
                raise ConfigError(f"web source: {bad[0]!r} is not a principal",
                                  hint="use everyone, user:NAME, group:NAME or role:admin")  # fmt: skip

    @classmethod
    def from_source_settings(
        cls, source_settings: Mapping[str, Any], *, max_bytes: int, allow_private_web: bool
    ) -> WebOptions:
        """The options of a source as stored (a JSON object): unknown keys are ignored, lists become tuples.

        `max_bytes` (the server's file size cap) applies unless the source sets its own; `allow_private_web`
        is the server's setting, whatever the source says.
        """
        chosen: dict[str, Any] = {"max_bytes": max_bytes}
        for name in sorted(PER_SOURCE & source_settings.keys()):
            value = source_settings[name]
            if name in _PATTERNS or (name == "read" and value is not None):
                value = tuple(value)
            chosen[name] = value
        return cls(**chosen, allow_private_web=allow_private_web)


# What a source's own settings may set: every option but the server's `allow_private_web`.
PER_SOURCE = frozenset(f.name for f in fields(WebOptions)) - {"allow_private_web"}
