"""The live board at /board: a static page that polls /board/state with the API key, and that endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, FastAPI, Header, Request, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from task_api.board.feed import BoardFeed, BoardState, etag_matches
from task_api.deps import ApiKeyDoc

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/board/static"

# Nothing on the page may come from anywhere but this server: the board must work with no network.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


def board_router() -> APIRouter:
    router = APIRouter(tags=["board"])

    @router.get("/board", include_in_schema=False)
    def board_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "board.html", media_type="text/html", headers=PAGE_HEADERS)

    @router.get(
        "/board/state",
        summary="Everything the live board shows, with an ETag",
        description=(
            "Users, tasks and the calls from the start of this week on, in one document. Send the `ETag` "
            "of the last answer as `If-None-Match`: while nothing changed the answer is `304 Not Modified` "
            "with no body. Changes made by any process sharing the store show within about a second."
        ),
        dependencies=[ApiKeyDoc],
        response_model=BoardState,
        responses={304: {"description": "Nothing changed since the ETag sent in If-None-Match."}},
    )
    async def board_state(
        request: Request,
        if_none_match: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> Response:
        feed: BoardFeed = request.app.state.board_feed
        snapshot = await run_in_threadpool(feed.current)
        headers = {"ETag": snapshot.etag, "Cache-Control": "no-cache, private"}
        if etag_matches(if_none_match, snapshot.etag):
            return Response(status_code=304, headers=headers)
        return Response(snapshot.body, media_type="application/json", headers=headers)

    return router


def mount_board_assets(app: FastAPI) -> None:
    """The page's script and style, served from the package."""
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="board-static")
