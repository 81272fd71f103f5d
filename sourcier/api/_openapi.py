"""The OpenAPI document and a plain HTML reference of it, for signed-in users only.

The document lists every route, admin ones included, with their parameters: a map of the attack surface
that an anonymous visitor has no use for. Any authenticated caller may read it (session cookie for the
page in a browser, bearer token for programs and generators); anonymous callers get the API's 401.
FastAPI's own public routes are switched off in `create_app` (`openapi_url=None`), these replace them
at the same paths.

The page is rendered here, from the document, as HTML without script, style or any asset: Swagger UI
and ReDoc load theirs from a CDN, which the app's CSP (`default-src 'self'`) blocks and offline machines
cannot reach, and no installed package ships them. Tools that want more read the JSON document.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from sourcier.api._deps import CurrentUser

OPENAPI_PATH = "/api/v1/openapi.json"
DOCS_PATH = "/api/v1/docs"
_METHODS = ("get", "post", "put", "patch", "delete")

router = APIRouter(tags=["docs"], include_in_schema=False)


def _schema(request: Request) -> dict[str, Any]:
    """The app's OpenAPI document (built once by FastAPI, then cached on the app), with the server's
    mount point when it runs behind a prefix."""
    root = request.scope.get("root_path", "").rstrip("/")
    schema = dict(request.app.openapi())
    if root:
        schema["servers"] = [{"url": root}, *schema.get("servers", [])]
    return schema


@router.get(OPENAPI_PATH, response_class=JSONResponse)
def openapi_document(request: Request, who: CurrentUser) -> JSONResponse:
    return JSONResponse(_schema(request))


@router.get(DOCS_PATH, response_class=HTMLResponse)
def api_reference(request: Request, who: CurrentUser) -> HTMLResponse:
    """Every route with its parameters, body and responses, then the body schemas, as static HTML."""
    root = request.scope.get("root_path", "").rstrip("/")
    return HTMLResponse(reference_page(_schema(request), openapi_url=root + OPENAPI_PATH))


def reference_page(schema: dict[str, Any], *, openapi_url: str) -> str:
    """The page for an OpenAPI document; every text taken from it is escaped (docstrings become descriptions)."""
    info = schema.get("info", {})
    title = f"{info.get('title', 'API')} {info.get('version', '')}".strip()
    routes = [
        _operation(method, path, op)
        for path, item in schema.get("paths", {}).items()
        for method, op in item.items()
        if method in _METHODS
    ]
    models = [_model(name, s) for name, s in schema.get("components", {}).get("schemas", {}).items()]
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)} reference</title>'
        f"</head><body>\n<h1>{escape(title)}</h1>\n"
        f'<p>The machine-readable document: <a href="{escape(openapi_url)}">{escape(openapi_url)}</a>.</p>\n'
        f"<h2>Routes</h2>\n{''.join(routes)}<h2>Schemas</h2>\n{''.join(models)}</body></html>\n"
    )


def _operation(method: str, path: str, op: dict[str, Any]) -> str:
    rows = [
        (p.get("name", ""), p.get("in", ""), _type(p.get("schema", {})), p.get("required", False))
        for p in op.get("parameters", [])
    ]
    body = op.get("requestBody", {})
    for media, content in body.get("content", {}).items():
        rows.append((media, "body", _type(content.get("schema", {})), body.get("required", False)))
    responses = "".join(
        f"<li>{escape(code)}: {escape(str(r.get('description', '')))}</li>"
        for code, r in op.get("responses", {}).items()
    )
    return (
        f"<section><h3>{method.upper()} {escape(path)}</h3>\n<p>{escape(str(op.get('summary', '')))}</p>\n"
        f"{_text(op.get('description', ''))}{_table(('name', 'in', 'type', 'required'), rows)}"
        f"<ul>{responses}</ul></section>\n"
    )


def _model(name: str, schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    rows = [(field, _type(s), field in required) for field, s in schema.get("properties", {}).items()]
    table = _table(("field", "type", "required"), rows)
    return f'<section id="{escape(name)}"><h3>{escape(name)}</h3>\n{table}</section>\n'


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{h}</th>" for h in header)
    cells = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{cells}</table>\n"


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return escape(str(value))


def _text(description: str) -> str:
    return "".join(f"<p>{escape(p)}</p>\n" for p in str(description).split("\n\n") if p.strip())


def _type(schema: dict[str, Any]) -> str:
    """A short name for a JSON schema: a component's name, `array of X`, `A | B`, or its `type`."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " | ".join(_type(s) for s in schema[key])
    kind = schema.get("type")
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}"
    if "enum" in schema:
        return " | ".join(repr(v) for v in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    return str(kind) if kind else "any"
