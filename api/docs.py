"""`/docs` (Swagger UI) and `/redoc` (ReDoc), with their scripts, styles and icon served by the
app itself from the `fastapi-offline` package, so that the pages work on a school network that
blocks public CDNs, or with no network at all.

FastAPI's own pages load those files from a CDN, so the app is built with `docs_url=None,
redoc_url=None` and `install_docs` adds these instead. Their Content-Security-Policy lets the
browser fetch nothing from another host, and that is needed, not decoration: the ReDoc bundle
itself loads its footer logo from cdn.redoc.ly, which a headless Chromium showed the policy
refusing while both pages rendered in full.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs/assets"
ASSETS = Path(str(files("fastapi_offline") / "static"))
# Swagger UI runs its start-up inline and builds images from data: URLs; ReDoc starts a worker
# from a blob: URL. Everything else comes from this server.
POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def _page(html: HTMLResponse) -> HTMLResponse:
    html.headers["Content-Security-Policy"] = POLICY
    return html


def install_docs(app: FastAPI) -> None:
    """Adds /docs, /redoc and their assets under /docs/assets to an app built without
    FastAPI's own docs pages."""
    if app.docs_url or app.redoc_url:
        raise ValueError("build the app with docs_url=None and redoc_url=None")
    if not (ASSETS / "swagger-ui-bundle.js").is_file():
        raise RuntimeError(f"fastapi-offline's assets are not at {ASSETS}")
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")
    parameters = {**(app.swagger_ui_parameters or {}), "validatorUrl": None}

    # Plain routes, as FastAPI's own pages are: no operations of the API, no authorization.
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _page(
            get_swagger_ui_html(
                openapi_url=f"{root}{app.openapi_url}",
                title=f"{app.title} - Swagger UI",
                swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
                swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
                oauth2_redirect_url=None,
                swagger_ui_parameters=parameters,
            )
        )

    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _page(
            get_redoc_html(
                openapi_url=f"{root}{app.openapi_url}",
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
                redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
                with_google_fonts=False,
            )
        )

    app.add_route("/docs", swagger_ui, methods=["GET"], include_in_schema=False)
    app.add_route("/redoc", redoc, methods=["GET"], include_in_schema=False)
