"""The three pages (chat, sign-in, admin) and their static files.

The pages are shells: they carry the interface strings and no data. Everything shown comes from the JSON
API, called by the page scripts with the session cookie, so the API alone decides who may see what. A
visitor without a session cookie is sent to the sign-in page; a stale cookie is caught by the first API
call (401), which sends the page there too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Final
from urllib.parse import urlsplit

from fastapi import APIRouter, Cookie, Depends, Header, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from sourcier.web._i18n import LANG_COOKIE, STRINGS, choose_language

SESSION_COOKIE: Final = "sourcier_session"
_HERE = Path(__file__).parent
_templates = Jinja2Templates(directory=_HERE / "templates")

router = APIRouter(tags=["web"], include_in_schema=False)
router.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")

LangQuery = Annotated[str | None, Query(alias="lang", max_length=8)]
LangCookie = Annotated[str | None, Cookie(alias=LANG_COOKIE)]
SessionCookie = Annotated[str | None, Cookie(alias=SESSION_COOKIE)]
AcceptLanguage = Annotated[str | None, Header(alias="accept-language")]


@dataclass(frozen=True, slots=True)
class _Language:
    """The page's language, and whether the URL asked for it (`?lang=`, then remembered in a cookie)."""

    code: str
    asked: bool


def _page_language(
    lang: LangQuery = None, lang_cookie: LangCookie = None, accept_language: AcceptLanguage = None
) -> _Language:
    return _Language(choose_language(lang, lang_cookie, accept_language), asked=lang is not None)


PageLanguage = Annotated[_Language, Depends(_page_language)]


def _render(request: Request, template: str, language: _Language, **extra: object) -> Response:
    strings = STRINGS[language.code]
    context = {"lang": language.code, "t": strings, "i18n": strings, **extra}
    response = _templates.TemplateResponse(request, template, context)
    response.headers["Cache-Control"] = "no-store"
    if language.asked:
        response.set_cookie(LANG_COOKIE, language.code, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def _signed_in_page(request: Request, language: _Language, session: str | None, *, page: str, path: str) -> Response:
    """A page for signed-in visitors; without a session cookie, the sign-in page first (then back to `path`)."""
    if not session:
        return _to_login(path)
    return _render(request, f"{page}.html", language, page=page)


def _to_login(next_path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={next_path}", status_code=303)


_C0_AND_SPACE: Final = "".join(chr(c) for c in range(0x21))
_REMOVED_BY_BROWSERS: Final = str.maketrans("", "", "\t\r\n")


def _safe_next(next_path: str | None) -> str:
    """Only a local path may follow sign-in: an absolute or protocol-relative URL would be an open redirect.

    It is read the way a browser's URL parser reads it, which is more forgiving than it looks: it drops
    leading and trailing controls and spaces, removes tabs and newlines anywhere (so "/\t/evil.example"
    is "//evil.example", another host) and takes a backslash for a slash. Whatever still names a scheme
    or a host, or is not one path starting with a single slash, or keeps a control character, gives "/".
    """
    if not next_path:
        return "/"
    cleaned = next_path.strip(_C0_AND_SPACE).translate(_REMOVED_BY_BROWSERS).replace("\\", "/")
    if cleaned.startswith("//") or any(ord(c) < 0x20 or ord(c) == 0x7F for c in cleaned):
        return "/"  # "//" names a host even when urlsplit reads "///x" as the path "/x"
    try:
        parts = urlsplit(cleaned)
    except ValueError:  # an unbalanced "[" reads as a broken IPv6 host
        return "/"
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")


@router.get("/", response_class=HTMLResponse)
def chat_page(request: Request, language: PageLanguage, session: SessionCookie = None) -> Response:
    """The chat: question box, streamed answer, citations, history."""
    return _signed_in_page(request, language, session, page="chat", path="/")


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, language: PageLanguage, session: SessionCookie = None) -> Response:
    """Sources and their syncs, users and groups, the overview (the API answers 403 to non-admins)."""
    return _signed_in_page(request, language, session, page="admin", path="/admin")


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request, language: PageLanguage, next_path: Annotated[str | None, Query(alias="next")] = None
) -> Response:
    """The sign-in form; it posts to the API with fetch and then goes to `next` (a local path only)."""
    return _render(request, "login.html", language, page="login", next=_safe_next(next_path))
