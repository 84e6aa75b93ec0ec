"""`python -m task_api.main` (or `task-api serve`): serve the REST API, /mcp and the board with uvicorn."""

from __future__ import annotations

import logging

import uvicorn

from mcp_server.logs import configure_logging
from shared.settings import demo_key_problem, settings_from_env
from task_api.app import create_app
from task_api.server import raise_file_limit, uvicorn_config

log = logging.getLogger("task_api")

_DEMO_KEY_WARNING = """
************************************************************************
  WARNING: the API key is the public demo key from the README.
  Anyone who can reach this server can read and change all its data.
  Set TASK_API_KEY to a secret of 16 characters or more.
************************************************************************"""


def main() -> None:
    configure_logging()
    settings = settings_from_env("task-api")
    if (problem := demo_key_problem(settings)) is not None:
        raise SystemExit(f"task-api: {problem}")
    if settings.uses_demo_key:
        log.warning(_DEMO_KEY_WARNING)
    log.info(settings.describe_access())
    raise_file_limit()
    # No access log: every change and every tool call logs its own line (route or tool, entity, outcome,
    # time), and a line per board poll or per /mcp transport request would drown them.
    uvicorn.Server(uvicorn_config(create_app(settings), settings, access_log=False)).run()


if __name__ == "__main__":
    main()
