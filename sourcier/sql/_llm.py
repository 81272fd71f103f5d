"""SQL written by the configured language model (`sourcier.llm.ChatModel`: one client, ordered fallbacks).

The prompt is a versioned Jinja2 template in `sourcier/sql/prompts/`; the catalogue it shows is already cut to
what the caller may read. The reply is untrusted text: it goes through the validator like any other SQL.
"""

from __future__ import annotations

import re
from importlib import resources

import jinja2

from sourcier.llm import ChatMessage, ChatModel
from sourcier.sql._catalogue import Catalogue

DEFAULT_PROMPT = "text_to_sql_v1.j2"
I_DONT_KNOW_TOKEN = "JE_NE_SAIS_PAS"
_FENCE = re.compile(r"```(?:sql)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)


def load_prompt(name: str = DEFAULT_PROMPT) -> str:
    return resources.files("sourcier.sql").joinpath("prompts", name).read_text("utf-8")


def extract_sql(reply: str) -> str | None:
    """The SQL in a model reply: the first ```sql block, else the whole reply; None for "I don't know"."""
    text = reply.strip()
    if not text or I_DONT_KNOW_TOKEN in text.upper():
        return None
    m = _FENCE.search(text)
    sql = (m.group(1) if m else text).strip()
    return sql or None


class LlmSqlGenerator:
    """A `SqlGenerator` asking a chat model: system prompt from the template, the question as the user turn.

    Model failures (`LLMError`, a `BackendUnavailable`) propagate: the answerer decides whether to fall back.
    """

    def __init__(self, model: ChatModel, *, prompt: str | None = None, max_rows: int = 1000, max_tokens: int = 512):
        env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
        self._model = model
        self._template = env.from_string(prompt if prompt is not None else load_prompt())
        self.prompt_version = DEFAULT_PROMPT.removesuffix(".j2") if prompt is None else "custom"
        self._max_rows = max_rows
        self._max_tokens = max_tokens

    @property
    def name(self) -> str:
        return self._model.name

    def system_prompt(self, catalogue: Catalogue) -> str:
        return self._template.render(catalogue=catalogue, max_rows=self._max_rows)

    def generate(self, question: str, catalogue: Catalogue) -> str | None:
        messages = [ChatMessage("system", self.system_prompt(catalogue)), ChatMessage("user", question)]
        completion = self._model.stream(messages, max_tokens=self._max_tokens).read()
        return extract_sql(completion.text)
