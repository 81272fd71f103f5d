"""The warehouse adversarial suite on a throwaway embedded PostgreSQL, with its counts.

    python -m bench.sql_adversarial [--timeout-ms 1000] [--verbose]

Starts a private embedded server in a temporary folder, loads the Maison Verdier demo warehouse, runs every case
of tests/sql/adversarial.py (questions through the template engine, raw SQL through the validator, and injected
questions through the model path with a model that obeys them; all then as a read-only role), checksums every
table before and after each case, and prints:
tried / refused (by the validator, by PostgreSQL) / unanswered / executed safely / writes / leaks.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from sourcier import store
from sourcier.config import Settings
from sourcier.sql import SqlExecutor, SqlValidator, load_catalogue
from sourcier.sql.demo import load_demo
from tests.sql.adversarial import Env, cases, run_suite

console = Console()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeout-ms", type=int, default=1000)
    parser.add_argument("--max-rows", type=int, default=1000)
    parser.add_argument("--verbose", action="store_true", help="one line per case")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="scbench-"))
    try:
        settings = Settings(home=home, _env_file=None)  # type: ignore[call-arg]
        with store.database(settings, name="warehouse") as conninfo:
            catalogue = load_catalogue()
            load_demo(conninfo, catalogue=catalogue)
            env = Env(
                conninfo=conninfo,
                catalogue=catalogue,
                validator=SqlValidator(catalogue=catalogue, max_rows=args.max_rows),
                executor=SqlExecutor(max_rows=args.max_rows, max_bytes=1_000_000, timeout_ms=args.timeout_ms),
            )
            start = time.perf_counter()
            counts, outcomes = run_suite(env, cases())
            elapsed = time.perf_counter() - start
    finally:
        shutil.rmtree(home, ignore_errors=True)

    if args.verbose:
        t = Table("case", "kind", "outcome", "ms", "message or rows")
        for o in outcomes:
            detail = o.message if o.status != "executed" else f"{len(o.result.rows) if o.result else 0} rows"
            t.add_row(o.case.id, o.case.kind, o.status + (" (PostgreSQL)" if o.by_database else ""),
                      f"{o.elapsed_ms:.0f}", detail[:100])
        console.print(t)
    console.print(f"warehouse adversarial suite ({elapsed:.1f} s): {counts.line()}", highlight=False)
    for line in counts.unexpected + counts.leaks:
        console.print(f"  [red]{line}[/red]")
    if counts.writes or counts.leaks or counts.unexpected:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
