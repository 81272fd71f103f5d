"""`python -m sourcier.store.search --render DIR`: write every retrieval statement into DIR (docs/sql)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._render import write


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m sourcier.store.search", description=__doc__)
    ap.add_argument("--render", metavar="DIR", type=Path, required=True, help="where to write the .sql files")
    args = ap.parse_args()
    for path in write(args.render):
        print(path)


if __name__ == "__main__":
    main()
