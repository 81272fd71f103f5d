"""What one sync run (or one `sourcier worker`) did, for the CLI's summary lines (the API reads runs back
from `sync_runs`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sourcier.sync._indexer import IndexReport


@dataclass(slots=True)
class SyncReport(IndexReport):
    """What one run did. Lists hold what this process did; `counts` covers every worker of the run."""

    source: str = ""
    run_id: int = 0
    status: str = "succeeded"
    moved: list[tuple[str, str]] = field(default_factory=list)  # (old uri, new uri)
    waiting: list[str] = field(default_factory=list)  # failed earlier, retry not due yet
    interrupted_runs: list[int] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    unread: int = 0  # skipped by the planner on their version hint alone
    listing_problems: int = 0  # parts of the source that could not be listed (an unreadable folder, a bad rule)
    still_failed: int = 0  # failed in an earlier run and unchanged since: not read again
