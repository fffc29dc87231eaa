"""Swagger UI and ReDoc served with their assets from the installed `fastapi-offline` package.

Government networks are often closed: FastAPI's default pages load their scripts from a CDN and
would stay blank. These pages reference nothing outside this server, and their Content-Security-Policy
says so to the browser as well.
"""

import base64
import hashlib
import re
from importlib.metadata import version
from importlib.resources import files
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send

# The package version is part of the URL, so browsers may keep the assets until an upgrade.
ASSETS_URL = f"/docs-assets/{version('fastapi-offline')}"
ASSETS_DIR = str(files("fastapi_offline") / "static")

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S)

router = APIRouter(include_in_schema=False)


class _Assets(StaticFiles):
    """The bundled scripts and styles, cacheable because their URL changes with the package."""

    path = ASSETS_URL

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # FastAPI's router does not name mounts in the scope: name this one for logs and metrics.
        scope.setdefault("route", self)
        await super().__call__(scope, receive, send)

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def install_api_docs(app: FastAPI) -> None:
    """Serve /docs, /redoc and their assets; create the app with docs_url=None, redoc_url=None."""
    app.mount(ASSETS_URL, _Assets(directory=ASSETS_DIR), name="docs-assets")
    app.include_router(router)


def _docs_policy(page: HTMLResponse) -> HTMLResponse:
    """Allow this server only, plus the page's own inline scripts by hash (no 'unsafe-inline')."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(bytes(page.body).decode())
    )
    page.headers["Content-Security-Policy"] = (
        "default-src 'none'; "
        f"script-src 'self' {hashes}; "
        # ReDoc and Swagger UI inject <style> elements at run time (styled-components, React).
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        # ReDoc runs its search index in a worker made from a blob.
        "worker-src 'self' blob:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return page


def _root(request: Request) -> str:
    """The path prefix a reverse proxy mounts the app under (empty when served at the root)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI, interactive; its "Authorize" button uses the password grant of /auth/token."""
    root, app = _root(request), request.app
    return _docs_policy(
        get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            # The password grant needs no OAuth2 redirect page.
            oauth2_redirect_url=None,
            # The public validator badge would send the spec's URL to swagger.io.
            swagger_ui_parameters={**(app.swagger_ui_parameters or {}), "validatorUrl": None},
        )
    )


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    """ReDoc, for reading; Google Fonts are left out so nothing is fetched from outside."""
    root, app = _root(request), request.app
    return _docs_policy(
        get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
    )
