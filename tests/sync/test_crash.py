"""The sync under kill -9 and with several worker processes: real subprocesses, a real PostgreSQL."""

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from psycopg import Connection

from sourcier.config import Settings
from sourcier.store import sources
from sourcier.sync import _indexer
from tests.conftest import ROOT

_WORDS = "congé paie badge parking cantine réunion télétravail mutuelle formation contrat prime astreinte".split()


def _env(tmp_path: Path, pg: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SOURCIER_DATABASE_URL": pg,
        "SOURCIER_HOME": str(tmp_path / "home"),
        "SOURCIER_PARSE_WORKERS": "1",
        "SOURCIER_SYNC_CLAIM_BATCH": "2",
        "SOURCIER_SYNC_RETRY_BASE_S": "0",
        "SOURCIER_CHUNK_TOKENS": "48",
        "SOURCIER_CHUNK_OVERLAP": "0",
        "COLUMNS": "250",
    }


def _cli(tmp_path: Path, pg: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.sync.slow_cli", *args],
        cwd=tmp_path,
        env={**_env(tmp_path, pg), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _text(rng: random.Random, n: int) -> str:
    paras = [" ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 30))) + "." for _ in range(n)]
    return "\n\n".join(paras) + "\n"


class _Versions:
    """Every version ever written at each path, with the passages it must have in the index."""

    def __init__(self, root: Path, settings: Settings) -> None:
        self.root = root
        self.by_uri: dict[str, dict[bytes, list[str]]] = {}
        _indexer._init_worker(settings)

    def write(self, uri: str, text: str) -> None:
        path = self.root / uri
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        self.remember(uri)

    def remember(self, uri: str) -> None:
        path = self.root / uri
        assert _indexer._worker_splitter is not None
        parsed = _indexer.parse_file(str(path), _indexer._worker_splitter, 10**8)
        digest = hashlib.sha256(path.read_bytes()).digest()
        self.by_uri.setdefault(uri, {})[digest] = [c.text for c in parsed.chunks]

    def current(self) -> dict[str, bytes]:
        return {p.relative_to(self.root).as_posix(): hashlib.sha256(p.read_bytes()).digest()
                for p in self.root.rglob("*.txt")}  # fmt: skip


def _index(conn: Connection[Any]) -> dict[str, tuple[bytes, list[str], int]]:
    rows = conn.execute(
        "SELECT d.uri, d.content_hash, d.n_chunks,"
        " coalesce((SELECT array_agg(c.text ORDER BY c.position) FROM chunks c WHERE c.document_id = d.id), '{}')"
        " FROM documents d WHERE d.status = 'indexed'"
    ).fetchall()
    return {uri: (bytes(h), list(texts), n) for uri, h, n, texts in rows}


def _check_consistent(conn: Connection[Any], versions: _Versions) -> None:
    """Every indexed document is exactly one version of its file: its hash, its passages, its counters."""
    for uri, (digest, texts, n_chunks) in _index(conn).items():
        known = versions.by_uri.get(uri, {})
        assert digest in known, f"{uri}: indexed content is no version of the file"
        assert texts == known[digest], f"{uri}: passages do not match the version they claim"
        assert n_chunks == len(texts), f"{uri}: document counters half-written"
    orphans = conn.execute("SELECT count(*) FROM chunk_terms t WHERE NOT EXISTS"
                           " (SELECT 1 FROM chunks c WHERE c.id = t.chunk_id)").fetchone()  # fmt: skip
    assert orphans == (0,)


def _wait_for_run(conn: Connection[Any], after: int, proc: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        row = conn.execute("SELECT coalesce(max(id), 0) FROM sync_runs").fetchone()
        if row and row[0] > after:
            return
        time.sleep(0.05)


@pytest.mark.slow
def test_kill_9_at_random_points_never_leaves_a_half_written_document(
    conn: Connection[Any], pg: str, tmp_path: Path
) -> None:
    rng = random.Random(4)
    root = tmp_path / "docs"
    settings = Settings(home=tmp_path / "home", database_url=pg, chunk_tokens=48, chunk_overlap=0)  # type: ignore[arg-type]
    versions = _Versions(root, settings)
    for i in range(24):
        versions.write(f"d{i // 8}/f{i}.txt", _text(rng, rng.randint(2, 5)))
    sources.add_source(conn, name="docs", kind="filesystem", location=str(root), every_s=None, read=["everyone"])
    kills = 0
    started = time.monotonic()
    for round_ in range(9):
        last = conn.execute("SELECT coalesce(max(id), 0) FROM sync_runs").fetchone()
        proc = _cli(tmp_path, pg, "sync", "docs")
        _wait_for_run(conn, last[0] if last else 0, proc)
        time.sleep(rng.uniform(0.0, 1.2))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        _check_consistent(conn, versions)
        # The source moves on between runs: edits, a rename, a deletion, a new file.
        files = sorted(versions.current())
        for uri in rng.sample(files, 3):
            versions.write(uri, _text(rng, rng.randint(2, 5)))
        if round_ % 3 == 1:
            old, new = files[0], f"moved/r{round_}.txt"
            (root / new).parent.mkdir(exist_ok=True)
            (root / old).rename(root / new)
            versions.remember(new)
            (root / files[-1]).unlink()
            versions.write(f"d9/n{round_}.txt", _text(rng, 3))
    assert kills >= 6, "the syncs finished before they could be killed: slow the embedder down"
    final = _cli(tmp_path, pg, "sync", "docs")
    output, _ = final.communicate(timeout=60)
    assert final.returncode == 0, output
    _check_consistent(conn, versions)
    index = _index(conn)
    assert {u: h for u, (h, _, _) in index.items()} == versions.current()  # converged exactly to the files
    statuses = [r.status for r in sources.recent_runs(conn, "docs", 50)]
    assert statuses[0] == "succeeded" and "running" not in statuses and statuses.count("interrupted") >= kills - 1
    again = _cli(tmp_path, pg, "sync", "docs")
    output, _ = again.communicate(timeout=60)
    assert "0 new, 0 modified, 0 moved" in output and "0 passages embedded" in output, output
    assert time.monotonic() - started < 120


@pytest.mark.slow
def test_three_workers_split_a_sync_and_do_every_job_once(conn: Connection[Any], pg: str, tmp_path: Path) -> None:
    rng = random.Random(7)
    root = tmp_path / "docs"
    settings = Settings(home=tmp_path / "home", database_url=pg, chunk_tokens=48, chunk_overlap=0)  # type: ignore[arg-type]
    versions = _Versions(root, settings)
    for i in range(40):
        versions.write(f"f{i:02}.txt", _text(rng, 3))
    sources.add_source(conn, name="docs", kind="filesystem", location=str(root), every_s=None, read=["everyone"])
    # Idle exit counts from a worker's start: it must outlast the sync's own start-up (imports, migration,
    # listing), which took over 6 s on a loaded CI machine: two workers gave up before the first job.
    workers = [_cli(tmp_path, pg, "worker", "--idle-exit", "20") for _ in range(3)]
    for w in workers:  # each has loaded, connected and is polling for jobs before the sync queues any
        assert w.stdout is not None
        lines = iter(w.stdout.readline, "")
        assert any(" ready" in line for line in lines), "a worker exited before it was ready"
    sync = _cli(tmp_path, pg, "sync", "docs")
    sync_out, _ = sync.communicate(timeout=90)
    assert sync.returncode == 0, sync_out
    outputs = [w.communicate(timeout=60)[0] for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    jobs = conn.execute("SELECT state, worker, count(*) FROM sync_jobs GROUP BY state, worker").fetchall()
    assert {state for state, _, _ in jobs} == {"done"}
    assert sum(n for _, _, n in jobs) == 40
    by_worker = {w: n for _, w, n in jobs}
    assert len(by_worker) >= 3, by_worker  # the work was really split
    indexed_by_workers = sum(int(o.split("worker done: ")[1].split(" indexed")[0]) for o in outputs)
    sync_pid = str(sync.pid)
    assert indexed_by_workers == sum(n for w, n in by_worker.items() if not w.endswith(":" + sync_pid))
    assert indexed_by_workers > 0
    _check_consistent(conn, versions)
    assert {u: h for u, (h, _, _) in _index(conn).items()} == versions.current()


@pytest.mark.slow
def test_a_reindex_killed_with_sigkill_keeps_search_on_the_old_model_and_resumes_without_redoing_batches(
    conn: Connection[Any], pg: str, tmp_path: Path
) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    for i in range(12):
        paragraphs = [" ".join(f"mot{i}x{p}y{j}" for j in range(30)) + "." for p in range(6)]
        (root / f"f{i:02}.txt").write_text("\n\n".join(paragraphs) + "\n", "utf-8")
    sources.add_source(conn, name="docs", kind="filesystem", location=str(root), every_s=None, read=["everyone"])
    synced = _cli(tmp_path, pg, "sync", "docs")
    assert synced.communicate(timeout=60)[0] and synced.returncode == 0
    passages = conn.execute("SELECT count(DISTINCT text_hash) FROM chunks").fetchone()[0]  # type: ignore[index]
    assert passages > 64, passages  # more than one reindex batch
    other = {"SOURCIER_TEST_EMBEDDER": "other"}
    reindex = _cli(tmp_path, pg, "reindex", env=other)
    cached = 0
    deadline = time.monotonic() + 60
    while cached == 0 and time.monotonic() < deadline and reindex.poll() is None:
        row = conn.execute("SELECT count(*) FROM embedding_cache WHERE model_id = 'fake/bag-of-words-256'").fetchone()
        cached = row[0] if row else 0
        time.sleep(0.02)
    reindex.send_signal(signal.SIGKILL)
    reindex.wait()
    assert 0 < cached < passages, (cached, passages)  # killed after its first batch, before the end
    models = conn.execute("SELECT state, model_id FROM embedding_models ORDER BY state").fetchall()
    assert models == [("active", "fake/bag-of-words"), ("building", "fake/bag-of-words-256")]
    assert conn.execute("SELECT DISTINCT embedding_model FROM chunks").fetchall() == [("fake/bag-of-words",)]
    kept = conn.execute("SELECT count(*) FROM embedding_cache WHERE model_id = 'fake/bag-of-words-256'").fetchone()
    resumed = _cli(tmp_path, pg, "reindex", env=other)
    out, _ = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, out
    assert kept is not None and f"{passages - kept[0]} passages embedded" in out, (out, passages, kept)
    assert conn.execute("SELECT DISTINCT embedding_model FROM chunks").fetchall() == [("fake/bag-of-words-256",)]
