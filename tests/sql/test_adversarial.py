"""The adversarial suite: nothing written, nothing outside the allowed tables returned, every refusal explained."""

from __future__ import annotations

import pytest

from tests.sql.adversarial import Case, Env, cases, run_case, run_suite, snapshot

CASES = cases()


def test_the_corpus_has_at_least_100_cases() -> None:
    assert len(CASES) >= 100
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, env: Env, baseline: tuple[object, ...]) -> None:
    outcome = run_case(env, case)
    assert outcome.status in case.expect, f"{case.text!r}: {outcome.status} ({outcome.message})"
    assert not outcome.leaks, outcome.leaks
    if outcome.status == "refused":
        message = outcome.message
        assert 15 <= len(message) <= 300, message
        assert not any(w in message.lower() for w in ("traceback", "psycopg", "sqlglot", "error:")), message
        assert case.text.strip() not in message, "a refusal must not echo the query"
    if outcome.result is not None:
        assert len(outcome.result.rows) <= env.executor._max_rows
    assert snapshot(env.conninfo) == baseline, f"{case.id} changed the warehouse"


def test_summary_counts(env: Env, baseline: tuple[object, ...], capsys: pytest.CaptureFixture[str]) -> None:
    """The counts the issue asks for, printed with `pytest -s` (and by `python -m bench.sql_adversarial`)."""
    counts, _ = run_suite(env, [c for c in CASES if c.id.startswith("q") or c.id < "sql020"])
    with capsys.disabled():
        print(f"\nwarehouse adversarial subset: {counts.line()}")
    assert counts.writes == 0
    assert not counts.leaks
    assert not counts.unexpected
    assert snapshot(env.conninfo) == baseline
