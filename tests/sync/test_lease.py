"""Leases under a heartbeat: a live worker keeps its jobs past the lease, a dead one loses them after it."""

import signal
import time
from pathlib import Path
from typing import Any

import pytest
from psycopg import Connection

from sourcier.store import jobs as job_store
from sourcier.store import sources
from sourcier.sync._lease import LeaseHeartbeat, conninfo_of
from tests.sync.test_crash import _cli


def _queue(conn: Connection[Any], tmp_path: Path, n: int) -> int:
    sources.add_source(conn, name="q", kind="filesystem", location=str(tmp_path), every_s=None, read=["everyone"])
    run_id = job_store.start_run(conn, sources.get_source(conn, "q").id)
    job_store.enqueue(conn, run_id, [(f"f{i}.txt", f"/x/f{i}.txt", "1", 1, None, ["everyone"]) for i in range(n)])
    return run_id


def test_a_beating_worker_keeps_its_jobs_past_the_lease_and_loses_them_one_lease_after_it_stops(
    conn: Connection[Any], tmp_path: Path
) -> None:
    run_id = _queue(conn, tmp_path, 3)
    lease = 1.2
    assert len(job_store.claim(conn, worker="a", n=3, lease_s=lease, run_id=run_id)) == 3
    with LeaseHeartbeat(conninfo_of(conn), worker="a", lease_s=lease) as beat:
        time.sleep(2.5 * lease)
        assert job_store.claim(conn, worker="b", n=3, lease_s=lease, run_id=run_id) == []
    assert beat.beats >= 5
    stopped = time.monotonic()
    taken: list[job_store.Job] = []
    while not taken and time.monotonic() - stopped < 3 * lease:
        taken = job_store.claim(conn, worker="b", n=3, lease_s=lease, run_id=run_id)
        time.sleep(0.05)
    waited = time.monotonic() - stopped
    assert len(taken) == 3 and waited <= lease + 0.5, waited
    assert job_store.extend_leases(conn, worker="a", lease_s=lease) == 0  # b's now: a's heartbeat leaves them


@pytest.mark.slow
def test_jobs_of_a_worker_killed_with_sigkill_are_finished_by_the_sync_within_about_one_lease(
    conn: Connection[Any], pg: str, tmp_path: Path
) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    for i in range(30):
        (root / f"f{i:02}.txt").write_text(" ".join(f"mot{i}x{j}" for j in range(60)) + ".\n", "utf-8")
    sources.add_source(conn, name="docs", kind="filesystem", location=str(root), every_s=None, read=["everyone"])
    lease = {"SOURCIER_SYNC_LEASE_S": "3", "SOURCIER_SYNC_CLAIM_BATCH": "6"}
    worker = _cli(tmp_path, pg, "worker", "--idle-exit", "60", env=lease)
    assert worker.stdout is not None
    assert any(" ready" in line for line in iter(worker.stdout.readline, "")), "the worker exited before it was ready"
    sync = _cli(tmp_path, pg, "sync", "docs", env=lease)
    deadline = time.monotonic() + 30
    held: list[str] = []
    while not held and time.monotonic() < deadline:
        held = [r[0] for r in conn.execute("SELECT uri FROM sync_jobs WHERE state = 'pending' AND worker LIKE %s",
                                           (f"%:{worker.pid}",)).fetchall()]  # fmt: skip
        time.sleep(0.02)
    assert held, "the worker never held a job"
    worker.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    worker.wait()
    held = [r[0] for r in conn.execute("SELECT uri FROM sync_jobs WHERE state = 'pending' AND worker LIKE %s",
                                       (f"%:{worker.pid}",)).fetchall()]  # fmt: skip
    assert held, "the worker finished its jobs before it was killed"
    out, _ = sync.communicate(timeout=60)
    took = time.monotonic() - killed
    assert sync.returncode == 0, out
    rows = conn.execute("SELECT uri, state, worker FROM sync_jobs WHERE uri = ANY(%s)", (held,)).fetchall()
    assert {state for _, state, _ in rows} == {"done"}
    assert all(w.endswith(f":{sync.pid}") for _, _, w in rows), rows  # retaken by the sync
    assert conn.execute("SELECT count(*) FROM documents WHERE status = 'indexed'").fetchone() == (30,)
    # Not before its lease ran out (its last beat was at most a third of a lease before the kill), and soon
    # after: one lease (3 s) plus the sync's own share of the slowed work.
    assert 2 <= took < 3 + 12, took
