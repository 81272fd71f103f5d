"""Connector kinds: one line per kind maps its name to a constructor."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sourcier.config import Settings
from sourcier.errors import ConfigError
from sourcier.sync._access import DEFAULT_ACL
from sourcier.sync._connector import Connector
from sourcier.sync._filesystem import FilesystemConnector

ConnectorFactory = Callable[[str, Settings, Mapping[str, Any]], Connector]


def _filesystem(location: str, settings: Settings, source_settings: Mapping[str, Any]) -> Connector:
    return FilesystemConnector(root=Path(location), default_acl=tuple(source_settings.get("default_acl", DEFAULT_ACL)))


def _web(location: str, settings: Settings, source_settings: Mapping[str, Any]) -> Connector:
    # Imported only when a web source is synced (the HTTP and HTML libraries are not needed otherwise).
    from sourcier.sync._web import WebConnector
    from sourcier.sync._web_options import WebOptions

    options = WebOptions.from_source_settings(
        source_settings, max_bytes=settings.max_file_bytes, allow_private_web=settings.allow_private_web_sources
    )
    return WebConnector(start_url=location, options=options)


CONNECTORS: dict[str, ConnectorFactory] = {
    "filesystem": _filesystem,
    "web": _web,
}


def create_connector(
    kind: str, location: str, settings: Settings, source_settings: Mapping[str, Any] | None = None
) -> Connector:
    """The connector for a source of this kind; `source_settings` holds its per-source options."""
    try:
        factory = CONNECTORS[kind]
    except KeyError:
        raise ConfigError(f"unknown source kind {kind!r}", hint=f"use one of {', '.join(sorted(CONNECTORS))}") from None
    return factory(location, settings, source_settings or {})
