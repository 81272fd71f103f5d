"""Versioned prompt templates (Jinja2), one file per kind, language and version: `answer.fr.v1.j2`.

Each file's blocks become the chat messages, in this order: `system`, then `example_user` and
`example_assistant` (a one-shot example) when present, then `user`. Changing a prompt means adding a file
with the next version: answers record the version they were written with (`Answer.prompt_version`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Literal

import jinja2

from sourcier.errors import ConfigError
from sourcier.llm import ChatMessage, Role
from sourcier.types import Hit, Turn

Kind = Literal["answer", "rewrite"]
_FILE = re.compile(r"^(?P<kind>[a-z]+)\.(?P<lang>[a-z]{2})\.v(?P<version>\d+)\.j2$")
_BLOCKS: tuple[tuple[str, Role], ...] = (
    ("system", "system"),
    ("example_user", "user"),
    ("example_assistant", "assistant"),
    ("user", "user"),
)


@dataclass(frozen=True, slots=True)
class PromptPassage:
    """A passage as the model sees it: its number, where it comes from, its text."""

    number: int
    source: str
    text: str

    @classmethod
    def of(cls, number: int, hit: Hit) -> PromptPassage:
        parts = [hit.title]
        if hit.section:
            parts.append(hit.section)
        page = f" (p. {hit.page})" if hit.page else ""
        return cls(number=number, source=" — ".join(parts) + page, text=hit.text.strip())


@dataclass(frozen=True, slots=True)
class Prompt:
    version: str  # "answer.fr.v1"
    messages: tuple[ChatMessage, ...]


def _default_directory() -> Path:
    return Path(str(files("sourcier.answer").joinpath("prompts")))


class PromptLibrary:
    """The prompt files of a directory (the package's own by default), newest version of each unless pinned."""

    def __init__(self, *, directory: Path | None = None, version: int | None = None) -> None:
        self._dir = directory or _default_directory()
        if not self._dir.is_dir():
            raise ConfigError(f"No prompt directory at {self._dir}")
        self._versions: dict[tuple[str, str], list[int]] = {}
        for path in self._dir.iterdir():
            if m := _FILE.match(path.name):
                self._versions.setdefault((m["kind"], m["lang"]), []).append(int(m["version"]))
        self._pin = version
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self._dir)),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # plain text for a model, not HTML
            keep_trailing_newline=False,
        )

    def version(self, kind: Kind, language: str) -> str:
        """The template used for this kind and language ("answer.fr.v1"); English or French only."""
        lang = "en" if language == "en" else "fr"
        found = sorted(self._versions.get((kind, lang), []))
        if not found:
            raise ConfigError(f"No {kind!r} prompt for language {lang!r} in {self._dir}")
        if self._pin is not None:
            if self._pin not in found:
                raise ConfigError(f"No version {self._pin} of the {kind}.{lang} prompt (have {found})")
            return f"{kind}.{lang}.v{self._pin}"
        return f"{kind}.{lang}.v{found[-1]}"

    def _render(self, kind: Kind, language: str, values: dict[str, object]) -> Prompt:
        version = self.version(kind, language)
        template = self._env.get_template(f"{version}.j2")
        context = template.new_context(values)
        messages = []
        for block, role in _BLOCKS:
            if block in template.blocks:
                text = "".join(template.blocks[block](context)).strip()
                messages.append(ChatMessage(role, text))
        if not messages or messages[-1].role != "user":
            raise ConfigError(f"Prompt {version} must end with a 'user' block")
        return Prompt(version=version, messages=tuple(messages))

    def answer(self, question: str, hits: Sequence[Hit], *, language: str) -> Prompt:
        passages = [PromptPassage.of(n, hit) for n, hit in enumerate(hits, 1)]
        return self._render("answer", language, {"question": question.strip(), "passages": passages})

    def rewrite(self, question: str, history: Sequence[Turn], *, language: str) -> Prompt:
        return self._render("rewrite", language, {"question": question.strip(), "history": list(history)})
