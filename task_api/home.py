"""GET /: where a person who opens the server's address in a browser finds the docs, the board and the MCP endpoint."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from task_api import __version__

HOME_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Task API</title>
<meta name="color-scheme" content="light dark">
</head>
<body style="font: 1.25rem/1.5 system-ui, sans-serif; max-width: 44rem; margin: 3rem auto; padding: 0 1rem">
<h1>Task API {__version__}</h1>
<p>Users, scheduled calls and tasks, over a REST API and an MCP server. Every endpoint but
<code>/health</code> needs the API key in the <code>X-API-Key</code> header.</p>
<ul>
<li><a href="/docs">/docs</a>: interactive API documentation (Swagger UI; <em>Authorize</em> takes the key)</li>
<li><a href="/redoc">/redoc</a>: the same reference, as one page (ReDoc)</li>
<li><a href="/board">/board</a>: the live board of users, calls and tasks (asks for the key once)</li>
<li><a href="/health">/health</a>: liveness, no key needed</li>
<li><code>/mcp</code>: the MCP endpoint (streamable HTTP) for LLM agents, same key</li>
</ul>
</body>
</html>
"""


def home_router() -> APIRouter:
    router = APIRouter()

    @router.get("/", include_in_schema=False)
    def home() -> HTMLResponse:
        return HTMLResponse(HOME_PAGE)

    return router
