"""The leak suite's probe counter: one per session, reported in the terminal summary."""

from __future__ import annotations

import pytest

from tests.security._probes import LeakProbes

_PROBES = pytest.StashKey[LeakProbes]()


@pytest.fixture(scope="session")
def leak_probes(request: pytest.FixtureRequest) -> LeakProbes:
    """Every probe of the leak suite counts itself here (kept on the config, which the summary hook reads)."""
    return request.config.stash.setdefault(_PROBES, LeakProbes())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """'leak suite: N probes', then the count of each path: how many checks really ran, not how many were planned."""
    probes = config.stash.get(_PROBES, None)
    if probes is None or not probes.total:
        return
    terminalreporter.write_sep("-", f"leak suite: {probes.total} probes")
    for path, n in sorted(probes.by_path.items()):
        terminalreporter.write_line(f"{n:6d}  {path}")
