"""docs/sql/ holds every retrieval statement as it runs: rendered again here, and compared."""

from pathlib import Path

from sourcier.store import search as search_store

DOCS_SQL = Path(__file__).resolve().parents[2] / "docs" / "sql"
REGENERATE = "regenerate with `python -m sourcier.store.search --render docs/sql` (and review the diff)"


def test_the_rendered_statements_are_those_that_run() -> None:
    rendered = search_store.render()
    on_disk = {p.name for p in DOCS_SQL.glob("*.sql")}
    assert on_disk == set(rendered), (
        f"docs/sql/ has {sorted(on_disk ^ set(rendered))} too many or missing: {REGENERATE}"
    )
    stale = [name for name, text in rendered.items() if (DOCS_SQL / name).read_text(encoding="utf-8") != text]
    assert not stale, f"docs/sql/{', '.join(stale)} differ from the statements the code runs: {REGENERATE}"


def test_the_rendered_search_is_the_statement_of_its_mode() -> None:
    text = (DOCS_SQL / "search-hybrid.sql").read_text(encoding="utf-8")
    body = "\n".join(line.rstrip() for line in search_store.statement("hybrid", 384).strip("\n").splitlines())
    assert text.endswith(body + "\n")


def test_statement_shaping_fields_reach_the_statement() -> None:
    default, wider = search_store.SearchParams(), search_store.SearchParams(stages=3, best_of=4, probe_cost=7)
    plain, shaped = search_store.statement("fulltext", 0, default), search_store.statement("fulltext", 0, wider)
    assert "added_3" not in plain and "added_3 AS MATERIALIZED" in shaped
    assert "LIMIT 3 * %(candidates)s" in plain and "LIMIT 4 * %(candidates)s" in shaped
    assert "* 5 <= coalesce(sum(df), 0)" in plain and "* 7 <= coalesce(sum(df), 0)" in shaped
