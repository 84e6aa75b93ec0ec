"""`python -m task_api.main` (or `task-api`): serve the REST API and /mcp with uvicorn."""

from __future__ import annotations

import logging

import uvicorn

from shared.settings import settings_from_env
from task_api.app import create_app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings_from_env("task-api")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
