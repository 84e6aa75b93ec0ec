"""`python -m task_api.main` (or `task-api serve`): serve the REST API, /mcp and the board with uvicorn."""

from __future__ import annotations

import uvicorn

from mcp_server.logs import configure_logging
from shared.settings import settings_from_env
from task_api.app import create_app


def main() -> None:
    configure_logging()
    settings = settings_from_env("task-api")
    # No access log: every change and every tool call logs its own line (route or tool, entity, outcome,
    # time), and a line per board poll or per /mcp transport request would drown them.
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info", access_log=False)


if __name__ == "__main__":
    main()
