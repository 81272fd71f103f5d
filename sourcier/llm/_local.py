"""A llama.cpp server inside this process (the `xllamacpp` wheel), for users without a model server."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from sourcier.errors import BackendUnavailable, ConfigError

log = logging.getLogger(__name__)

# For base models (no chat template in the GGUF): "Question : … / Réponse :" turns. Pair it with a stop
# sequence ("\n") so that the model stops after its answer.
PLAIN_CHAT_TEMPLATE = """\
{%- for m in messages -%}
{%- if m.role == 'system' -%}{{ m.content }}

{% elif m.role == 'user' -%}Question : {{ m.content }}
{% elif m.role == 'assistant' -%}Réponse : {{ m.content }}

{% endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}Réponse :{%- endif -%}"""


class LocalLlamaServer:
    """llama.cpp's OpenAI-compatible HTTP server for one GGUF file, listening on 127.0.0.1 only.

    `start()` loads the model and returns when HTTP is up; `close()` stops it. `chat_template` is the
    Jinja chat template's text; None uses the GGUF's own (instruct models carry one).
    """

    def __init__(
        self,
        *,
        model_path: Path,
        port: int = 8080,
        context: int = 4096,
        threads: int = 0,
        chat_template: str | None = None,
        alias: str | None = None,
    ) -> None:
        if not model_path.is_file():
            raise ConfigError(f"No model file at {model_path}", hint="pass the path of a .gguf file")
        if not 1 <= port <= 65535:
            raise ConfigError(f"port must be in [1, 65535], got {port}")
        if context < 256:
            raise ConfigError(f"context must be at least 256 tokens, got {context}")
        self._path = model_path
        self._port = port
        self._context = context
        self._threads = threads or os.cpu_count() or 1
        self._template = chat_template
        self._alias = alias or model_path.stem
        self._server: Any = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/v1"

    @property
    def model(self) -> str:
        """The name the server answers to (`SOURCIER_LLM_MODEL`)."""
        return self._alias

    def start(self) -> None:
        try:
            import xllamacpp
        except ImportError as exc:
            raise ConfigError(
                "The local model server needs the xllamacpp package.", hint="pip install xllamacpp"
            ) from exc
        p = xllamacpp.CommonParams()
        p.model.path = str(self._path)
        p.model_alias = {self._alias}
        p.hostnames = ["127.0.0.1"]
        p.port = self._port
        p.n_ctx = self._context
        p.cpuparams.n_threads = self._threads
        p.cpuparams_batch.n_threads = self._threads
        if self._template is not None:
            p.chat_template = self._template
        log.info("loading %s on %s", self._path, self.base_url)
        try:
            self._server = xllamacpp.Server(p)
        except Exception as exc:  # the extension raises plain RuntimeErrors; say which model and port failed
            raise BackendUnavailable(
                f"llama.cpp could not serve {self._path.name} on port {self._port}: {exc}",
                hint="check that the file is a GGUF model and that the port is free",
            ) from exc

    def close(self) -> None:
        self._server = None  # dropping the server object stops it and frees the model

    def __enter__(self) -> LocalLlamaServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
