"""What `sourcier serve` hands its server processes: settings as an argument, never the environment."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from sourcier.cli._serve import served_settings, uvicorn_config
from sourcier.config import Settings

CONNINFO = "host=/tmp/pg port=5432 dbname=sourcier user=sourcier password=secret"


def test_workers_get_the_database_and_one_embedding_thread_each(tmp_path: Path) -> None:
    served = served_settings(Settings(home=tmp_path), CONNINFO)
    assert served.database_url is not None and served.database_url.get_secret_value() == CONNINFO
    assert served.embedding_threads == 1
    assert "SOURCIER_DATABASE_URL" not in os.environ and "SOURCIER_EMBEDDING_THREADS" not in os.environ


def test_threads_asked_for_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCIER_EMBEDDING_THREADS", "0")  # all cores, on purpose
    assert served_settings(Settings(home=tmp_path), CONNINFO).embedding_threads == 0
    assert served_settings(Settings(home=tmp_path, embedding_threads=4), CONNINFO).embedding_threads == 4


def test_the_config_travels_to_spawned_workers_with_its_settings(tmp_path: Path) -> None:
    served = served_settings(Settings(home=tmp_path), CONNINFO)
    config = uvicorn_config(
        served, host="127.0.0.1", port=0, workers=2, forwarded_allow_ips="127.0.0.1", embedded=True
    )
    copy = pickle.loads(pickle.dumps(config))  # what uvicorn's supervisor does for each worker
    assert copy.factory and copy.workers == 2
    assert copy.app.args == (served,) and copy.app.args[0].database_url.get_secret_value() == CONNINFO
    assert copy.app.keywords == {"embedded": True}  # the workers find the embedded server's warehouse
