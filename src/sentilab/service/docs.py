"""``/docs``: Swagger UI served from this server, so the API documentation works offline.

FastAPI's own ``/docs`` loads Swagger UI from a CDN and is a blank page without the internet. Here its files
come from the ``fastapi-offline`` package (in the ``service`` extra; it ships swagger-ui-dist 5, which reads
OpenAPI 3.1, and nothing else is used from it), mounted at ``/docs-assets``. The page's one inline script
(FastAPI's ``SwaggerUIBundle({...})`` call) is allowed by its SHA-256 in ``/docs``'s own Content-Security-
Policy; nothing else inline and nothing from another origin is.

Without that package, :func:`install_docs` adds no ``/docs`` route and says so: the page, the start-up line
and the error messages then point to ``/openapi.json`` instead of a link that would not load.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
ASSETS_URL = "/docs-assets"
#: The files Swagger UI needs, as fastapi-offline ships them.
ASSETS = {"js": "swagger-ui-bundle.js", "css": "swagger-ui.css", "icon": "favicon.png"}
#: As the page's policy, plus the hash of the page's one inline script (filled in per response).
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' {script_hashes}; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def swagger_ui_dir() -> Path | None:
    """The directory holding Swagger UI's files, or None when the ``fastapi-offline`` package is missing."""
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        return None
    directory = Path(next(iter(spec.submodule_search_locations))) / "static"
    return directory if all((directory / name).is_file() for name in ASSETS.values()) else None


def docs_html(root_path: str = "") -> HTMLResponse:
    """Swagger UI's page with every URL on this server, under a policy that allows only its own script."""
    page = get_swagger_ui_html(
        openapi_url=f"{root_path}/openapi.json",
        title="sentilab API",
        swagger_js_url=f"{root_path}{ASSETS_URL}/{ASSETS['js']}",
        swagger_css_url=f"{root_path}{ASSETS_URL}/{ASSETS['css']}",
        swagger_favicon_url=f"{root_path}{ASSETS_URL}/{ASSETS['icon']}",
        # No "validator" badge: it would send the schema to validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None},
    )
    html = page.body.decode("utf-8")
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    headers = {"Content-Security-Policy": DOCS_POLICY.format(script_hashes=hashes)}
    return HTMLResponse(html, headers=headers)


def install_docs(app: FastAPI, assets: Path | None) -> str:
    """Serve Swagger UI at ``/docs`` from ``assets``; return where the API is described for people
    (``/docs``, or ``/openapi.json`` when ``assets`` is None)."""
    if assets is None:
        return "/openapi.json"
    app.mount(ASSETS_URL, StaticFiles(directory=assets), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        return docs_html(request.scope.get("root_path", ""))

    return DOCS_URL


__all__ = ["ASSETS_URL", "DOCS_URL", "docs_html", "install_docs", "swagger_ui_dir"]
