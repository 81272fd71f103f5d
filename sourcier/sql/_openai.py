"""SQL written by an LLM behind any OpenAI-compatible /v1/chat/completions server.

The prompt is a versioned Jinja2 template in `sourcier/sql/prompts/`. The reply is untrusted text: it goes through
the validator like any other SQL. Once the LLM client of its own lands, this takes that client instead.
"""

from __future__ import annotations

import re
from importlib import resources

import jinja2

from sourcier.errors import BackendUnavailable
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


class OpenAISqlGenerator:
    """A `SqlGenerator` asking a chat model; temperature 0, one completion, the prompt rendered from a template."""

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str = "",
        prompt: str | None = None,
        max_rows: int = 1000,
        max_tokens: int = 512,
        timeout: float = 60.0,
    ) -> None:
        from openai import OpenAI

        if not base_url or not model:
            raise ValueError("OpenAISqlGenerator needs base_url and model")
        self._client = OpenAI(base_url=base_url, api_key=api_key or "none", timeout=timeout, max_retries=1)
        self._model = model
        env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
        self._template = env.from_string(prompt if prompt is not None else load_prompt())
        self._max_rows = max_rows
        self._max_tokens = max_tokens

    def system_prompt(self, catalogue: Catalogue) -> str:
        return self._template.render(catalogue=catalogue, max_rows=self._max_rows)

    def generate(self, question: str, catalogue: Catalogue) -> str | None:
        import openai

        try:
            resp = self._client.chat.completions.create(
                model=self._model,
                messages=[
                    {"role": "system", "content": self.system_prompt(catalogue)},
                    {"role": "user", "content": question},
                ],
                temperature=0,
                max_tokens=self._max_tokens,
            )
        except openai.OpenAIError as exc:
            raise BackendUnavailable(
                f"The language model server did not answer ({type(exc).__name__}).",
                hint="check the LLM server's address and that it is running",
            ) from exc
        if not resp.choices:
            return None
        return extract_sql(resp.choices[0].message.content or "")
