"""/redoc served from the ReDoc bundled in fastapi-offline, with a policy that keeps it from reaching the internet.

ReDoc's sidebar always shows Redocly's logo from its CDN (an <img> that hides itself when it fails to load).
The Content-Security-Policy below limits images to this server, so the browser never makes that request:
the page works the same, and offline it does not even try.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import HTMLResponse

OFFLINE_ASSETS = "/static-offline-docs"  # where fastapi-offline mounts its bundled Swagger UI and ReDoc
DOCS_POLICY = "img-src 'self' data: blob:"


def redoc_router(title: str, openapi_url: str) -> APIRouter:
    router = APIRouter()

    @router.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{title} - ReDoc",
            redoc_js_url=f"{root}{OFFLINE_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{OFFLINE_ASSETS}/favicon.png",
            with_google_fonts=False,
        )
        page.headers["Content-Security-Policy"] = DOCS_POLICY
        return page

    return router
