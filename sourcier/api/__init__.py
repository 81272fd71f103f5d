"""The HTTP API (FastAPI, under /api/v1) and the pages, served by one app built by `create_app`."""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from pgvector.psycopg import register_vector
from psycopg import Connection
from psycopg_pool import ConnectionPool

from sourcier import store
from sourcier.api import _admin, _ask, _auth, _conversations, _documents, _errors, _health, _openapi, _sources
from sourcier.api._deps import CurrentAdmin, CurrentUser, current_admin, current_user, get_conn, get_settings
from sourcier.api._limits import BodyLimit
from sourcier.api._service import Answering, Event
from sourcier.config import Settings
from sourcier.embed import Embedder, create_embedder
from sourcier.llm import ChatModel, create_chat_model

__all__ = [
    "Answering",
    "CurrentAdmin",
    "CurrentUser",
    "Event",
    "create_app",
    "current_admin",
    "current_user",
    "get_conn",
    "get_settings",
]

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _configure(conn: Connection[Any]) -> None:
    register_vector(conn)


def create_app(
    settings: Settings,
    *,
    conninfo: str | None = None,
    embedder: Embedder | None = None,
    chat_model: ChatModel | None = None,
    pool_size: int = 8,
) -> FastAPI:
    """The app. `conninfo` (else `settings.database_url`) names the database; tests pass a fake `embedder`.

    The lifespan migrates once, builds the pool, the embedder and the optional chat model, and keeps them
    on `app.state`; nothing another server process would need lives in memory.
    """
    url = conninfo or (settings.database_url.get_secret_value() if settings.database_url else None)
    if url is None:
        raise ValueError("create_app needs a database: pass conninfo= or set database_url")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with store.connect(url) as conn:
            store.migrate(conn)
        emb = embedder or create_embedder(settings)
        model = chat_model if chat_model is not None else create_chat_model(settings)
        pool: ConnectionPool[Connection[Any]] = ConnectionPool(
            url, min_size=1, max_size=pool_size, kwargs={"autocommit": True}, configure=_configure, open=False
        )
        pool.open(wait=True, timeout=30)
        app.state.settings = settings
        app.state.conninfo = url
        app.state.pool = pool
        app.state.embedder = emb
        app.state.chat_model = model
        app.state.answering = Answering(
            settings=settings, embedder=emb, model=model, spare=lambda: store.spare_connection(pool)
        )
        try:
            yield
        finally:
            pool.close()

    app = FastAPI(
        title="sourcier",
        version="0.1.0",
        lifespan=lifespan,
        openapi_url=None,  # served by _openapi to signed-in users only
        docs_url=None,
        redoc_url=None,
    )
    _errors.install(app)
    # Added before the headers middleware, so inside it: a 413 carries the security headers too.
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        return response

    for module in (_health, _auth, _ask, _documents, _conversations, _admin, _sources, _openapi):
        app.include_router(module.router)
    if importlib.util.find_spec("sourcier.api._openai_compat") is not None:
        from sourcier.api import _openai_compat  # the OpenAI-compatible /v1 endpoint

        app.include_router(_openai_compat.router)
    if (
        importlib.util.find_spec("sourcier.web._pages") is not None
        or importlib.util.find_spec("sourcier.web") is not None
    ):
        _include_web(app)
    return app


def _include_web(app: FastAPI) -> None:
    """The pages, once sourcier.web exposes a `router` (built by another part of the project)."""
    import sourcier.web as web

    router = getattr(web, "router", None)
    if router is not None:
        app.include_router(router)


def app_from_env() -> FastAPI:
    """The factory `sourcier serve` hands to uvicorn (by import string, so that --workers N works):
    settings from the environment, where serve has put the database's conninfo."""
    return create_app(Settings())
