"""The HTTP API (FastAPI, under /api/v1) and the pages, served by one app built by `create_app`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from pgvector.psycopg import register_vector
from psycopg import Connection
from psycopg_pool import ConnectionPool

from sourcier import store
from sourcier import web as web_pages
from sourcier.answer import AnswerPipeline
from sourcier.api import (
    _admin,
    _ask,
    _auth,
    _conversations,
    _documents,
    _errors,
    _health,
    _openai_compat,
    _openapi,
    _sources,
)
from sourcier.api._deps import CurrentAdmin, CurrentUser, current_admin, current_user, get_conn, get_settings
from sourcier.api._limits import BodyLimit
from sourcier.config import Settings
from sourcier.embed import Embedder, create_embedder
from sourcier.llm import ChatModel, create_chat_model
from sourcier.sql import warehouse_for

__all__ = [
    "CurrentAdmin",
    "CurrentUser",
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
    embedded: bool = False,
) -> FastAPI:
    """The app. `conninfo` (else `settings.database_url`) names the database; tests pass a fake `embedder`.
    `embedded`: that database is on sourcier's own embedded server, whose `warehouse` database is then the
    warehouse when `warehouse_url` names none.

    The lifespan migrates once, builds the pool, the embedder, the optional chat model, the warehouse's
    reader pools and the answering pipeline over them, and keeps them on `app.state`; nothing another
    server process would need lives in memory.
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
        side_legs = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="sourcier-vector-leg")
        warehouse = warehouse_for(settings, embedded_server=url if embedded else None)
        app.state.pipeline = AnswerPipeline(
            settings=settings,
            embedder=emb,
            model=model,
            warehouse=warehouse,
            spare=lambda: store.spare_connection(pool, side_legs),
        )
        try:
            yield
        finally:
            if warehouse is not None:
                warehouse.close()
            side_legs.shutdown(wait=True)
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

    routers = (_health, _auth, _ask, _documents, _conversations, _admin, _sources, _openapi, _openai_compat, web_pages)
    for module in routers:
        app.include_router(module.router)
    return app
