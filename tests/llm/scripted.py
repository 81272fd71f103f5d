"""A scripted OpenAI-compatible chat server on 127.0.0.1, and a fake ChatModel, for deterministic tests.

Each request to `/v1/chat/completions` plays the next step of the script: a streamed reply, a stream cut
in the middle, a stall (for timeouts), or an HTTP error. Requests are recorded (body and headers).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sourcier.errors import LLMError
from sourcier.llm import ChatMessage, Completion, Delta, TokenStream
from sourcier.types import ModelAttempt


@dataclass(frozen=True)
class Reply:
    """Stream `deltas`, then a final chunk with `finish` and `[DONE]`."""

    deltas: Sequence[str]
    finish: str = "stop"
    pause_s: float = 0.0  # between deltas
    first_after_s: float = 0.0  # before the first delta (headers are sent at once)


@dataclass(frozen=True)
class Cut:
    """Stream `deltas`, then close the connection: no finish reason, no [DONE]."""

    deltas: Sequence[str]


@dataclass(frozen=True)
class Stall:
    """Send nothing at all for `seconds` (not even headers)."""

    seconds: float


@dataclass(frozen=True)
class Status:
    code: int
    message: str = "scripted failure"


Step = Reply | Cut | Stall | Status


@dataclass
class Recorded:
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class ScriptedServer:
    """Plays `steps` in order, one per request; when they run out, it answers "Je ne sais pas."."""

    steps: list[Step] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> ScriptedServer:
        script = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                script.requests.append(Recorded(body, {k.lower(): v for k, v in self.headers.items()}))
                step = script.steps.pop(0) if script.steps else Reply(["Je ne sais pas."])
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up: expected
                    script.play(self, step, body.get("model", ""))

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def play(h: BaseHTTPRequestHandler, step: Step, model: str) -> None:
        if isinstance(step, Stall):
            time.sleep(step.seconds)
            return
        if isinstance(step, Status):
            data = json.dumps({"error": {"message": step.message, "type": "server_error"}}).encode()
            h.send_response(step.code)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
            return
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Connection", "close")
        h.end_headers()

        def chunk(delta: dict[str, str], finish: str | None = None) -> None:
            payload = {
                "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }  # fmt: skip
            h.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
            h.wfile.flush()

        chunk({"role": "assistant", "content": ""})
        if isinstance(step, Reply) and step.first_after_s:
            time.sleep(step.first_after_s)
        for i, text in enumerate(step.deltas):
            if isinstance(step, Reply) and step.pause_s and i:
                time.sleep(step.pause_s)
            chunk({"content": text})
        if isinstance(step, Cut):
            h.close_connection = True
            return
        chunk({}, step.finish)
        h.wfile.write(b"data: [DONE]\n\n")
        h.wfile.flush()


class FakeChatModel:
    """A ChatModel that plays scripted replies (a text, or an LLMError to raise) and records its prompts."""

    def __init__(self, replies: Sequence[str | LLMError], *, name: str = "fake-model") -> None:
        self._replies = list(replies)
        self._name = name
        self.prompts: list[Sequence[ChatMessage]] = []

    @property
    def name(self) -> str:
        return self._name

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int | None = None) -> TokenStream[Completion]:
        self.prompts.append(messages)
        reply = self._replies.pop(0)
        return TokenStream(self._play(reply))

    def _play(self, reply: str | LLMError) -> Generator[Delta, None, Completion]:
        if isinstance(reply, LLMError):
            raise reply
        for word in reply.split(" "):
            yield Delta(word + " ")
        attempt = ModelAttempt(model=self._name, ok=True, first_token_ms=1.0, total_ms=2.0)
        return Completion(text=reply, model=self._name, finish_reason="stop", attempts=(attempt,))
