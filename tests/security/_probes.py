"""The leak suite's probes, counted as they run: each one is an assertion about what a user got through one
path, and the terminal summary says how many ran, path by path (see tests/security/conftest.py).

A probe is counted only once its assertion held: a failing probe fails its test, and a probe that did not
run (a test deselected, an early failure) is not in the count.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any


class LeakProbes:
    """The session's counter, by path (`cli search`, `GET /api/v1/documents/{id}/file`, ...)."""

    def __init__(self) -> None:
        self.by_path: Counter[str] = Counter()

    @property
    def total(self) -> int:
        return sum(self.by_path.values())

    def absent(self, path: str, output: Any, needles: Iterable[str], *, what: str, echoed: str = "") -> None:
        """None of `needles` is in `output` (its text, or its JSON without ASCII escapes), whatever the case.

        A needle that is in `echoed` (the question the output may repeat) is not looked for: the comparison
        with the index without the forbidden documents covers it."""
        text = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
        lowered, echo = text.lower(), echoed.lower()
        for needle in needles:
            if needle.lower() not in echo:
                assert needle.lower() not in lowered, f"{what}: {needle!r} reached the user through {path}"
        self.by_path[path] += 1

    def no_ids(self, path: str, got: set[int], forbidden: set[int], *, what: str) -> None:
        """No id of a forbidden document or passage is among those a response carries."""
        assert not got & forbidden, f"{what}: forbidden ids {sorted(got & forbidden)} through {path}"
        self.by_path[path] += 1

    def same(self, path: str, before: Any, after: Any, *, what: str) -> None:
        """What the user got equals what they get once the documents they may not read are deleted."""
        assert before == after, f"{what}: differs through {path} once the forbidden documents are gone"
        self.by_path[path] += 1

    def holds(self, path: str, condition: bool, *, what: str) -> None:
        """Any other fact a probe checks (the index's contents, a refusal's status and body)."""
        assert condition, f"{what} ({path})"
        self.by_path[path] += 1
