"""`sourcier llm serve`: a local llama.cpp server for written answers, in the foreground."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from sourcier.cli._context import CliContext
from sourcier.llm import PLAIN_CHAT_TEMPLATE, LocalLlamaServer

llm_app = typer.Typer(no_args_is_help=True, help="A local language model for written answers.")


@llm_app.command("serve")
def llm_serve(
    ctx: typer.Context,
    model: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="A GGUF model file.")],
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port on 127.0.0.1.")] = 8080,
    context: Annotated[int, typer.Option(min=256, help="Context window, in tokens.")] = 4096,
    threads: Annotated[int, typer.Option(min=0, help="CPU threads; 0 = all cores.")] = 0,
    chat_template: Annotated[
        str | None, typer.Option(help="'plain' for a base model without a chat template, or a Jinja file.")
    ] = None,
) -> None:
    """Serve a GGUF model with llama.cpp (OpenAI-compatible) on 127.0.0.1, in the foreground; Ctrl-C stops it."""
    out = CliContext.of(ctx).out
    template = None
    if chat_template == "plain":
        template = PLAIN_CHAT_TEMPLATE
    elif chat_template:
        template = Path(chat_template).read_text("utf-8")
    server = LocalLlamaServer(model_path=model, port=port, context=context, threads=threads, chat_template=template)
    server.start()
    out.print("Serving. In another terminal, point sourcier at it:", highlight=False)
    out.print(f"  export SOURCIER_LLM_BASE_URL={server.base_url}", highlight=False, markup=False)
    out.print(f"  export SOURCIER_LLM_MODEL={server.model}", highlight=False, markup=False)
    if chat_template == "plain":
        out.print("  export SOURCIER_LLM_STOP='[\"\\n\"]'", highlight=False, markup=False)
    out.print("Ctrl-C stops it.", style="dim")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
