"""The OpenAPI document and its Swagger UI page, for signed-in users only.

The document lists every route, admin ones included, with their parameters: a map of the attack surface
that an anonymous visitor has no use for. Any authenticated caller may read it (session cookie for the
page in a browser, bearer token for programs and generators); anonymous callers get the API's 401.
FastAPI's own public routes are switched off in `create_app` (`openapi_url=None`), these replace them
at the same paths.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from sourcier.api._deps import CurrentUser

OPENAPI_PATH = "/api/v1/openapi.json"
DOCS_PATH = "/api/v1/docs"

router = APIRouter(tags=["docs"], include_in_schema=False)


@router.get(OPENAPI_PATH, response_class=JSONResponse)
def openapi_document(request: Request, who: CurrentUser) -> JSONResponse:
    """The app's OpenAPI document (built once by FastAPI, then cached on the app)."""
    root = request.scope.get("root_path", "").rstrip("/")
    schema = dict(request.app.openapi())
    if root:
        schema["servers"] = [{"url": root}, *schema.get("servers", [])]
    return JSONResponse(schema)


@router.get(DOCS_PATH, response_class=HTMLResponse)
def swagger_ui(request: Request, who: CurrentUser) -> HTMLResponse:
    """Swagger UI over the document above (the browser sends the session cookie when it fetches it)."""
    root = request.scope.get("root_path", "").rstrip("/")
    return get_swagger_ui_html(openapi_url=root + OPENAPI_PATH, title=f"{request.app.title} - Swagger UI")
