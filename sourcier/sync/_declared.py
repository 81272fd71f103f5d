"""Sources declared in sourcier.toml (`[[sources]]`): checked, then created or updated in the database."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from psycopg import Connection

from sourcier.config import Settings, SourceConfig
from sourcier.errors import ConfigError
from sourcier.store import sources as source_store
from sourcier.sync._validate import SourcePolicy, check_declared

_EVERY = re.compile(r"^\s*(\d+)\s*(s|m|h|d)?\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(text: str) -> int:
    """'90s', '30m', '1h', '2d' (or plain seconds) -> seconds."""
    m = _EVERY.match(text)
    if not m or int(m.group(1)) <= 0:
        raise ConfigError(f"{text!r} is not a schedule", hint="write e.g. 30m, 1h or 1d")
    return int(m.group(1)) * _UNIT_S[m.group(2) or "s"]


def sync_declared_sources(conn: Connection[Any], declared: Sequence[SourceConfig], *, settings: Settings) -> list[str]:
    """Create or update the sources declared in sourcier.toml (those added by the CLI are left alone).

    All are checked first (ConfigError, nothing stored, if one fails). The file is written by whoever runs the
    server, so it reaches as far as the local CLI does; `settings` is required so that no caller can store the
    file's sources without checking them.
    """
    names = []
    for d in check_declared(declared, SourcePolicy.local(settings)):
        source_store.add_source(
            conn,
            name=d.name,
            kind=d.kind,
            location=d.location,
            every_s=parse_every(d.every) if d.every else None,
            read=d.read,
            settings=dict(d.settings),
        )
        names.append(d.name)
    return names
