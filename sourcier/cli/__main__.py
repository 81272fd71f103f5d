"""`python -m sourcier.cli`, as the `sourcier` script (tests and benchmarks start it this way)."""

from sourcier.cli import app

if __name__ == "__main__":
    app()
