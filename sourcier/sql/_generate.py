"""How a question becomes SQL: the `SqlGenerator` protocol that the template engine and LLM backends implement."""

from __future__ import annotations

from typing import Protocol

from sourcier.sql._catalogue import Catalogue


class SqlGenerator(Protocol):
    """Writes one SELECT answering `question` over `catalogue`, or returns None when it does not know how.

    The catalogue passed in is already restricted to the tables the caller may read. Whatever comes back is
    untrusted: it goes through `SqlValidator` before it runs.
    """

    def generate(self, question: str, catalogue: Catalogue) -> str | None: ...
