"""The stdio entry point: `python -m mcp_server` (or `task-api-mcp`), for desktop MCP clients."""

import logging
import sys

from mcp_server.logs import configure_logging
from mcp_server.server import build_mcp
from shared.errors import StorageUnavailable
from shared.runtime import open_services
from shared.settings import settings_from_env

log = logging.getLogger("mcp_server")


def main() -> None:
    # stdout carries the protocol: a single stray line there breaks the client, so logs go to stderr.
    # Configured before the server is built, so the SDK's own logging setup leaves this one in place.
    configure_logging(stream=sys.stderr)
    settings = settings_from_env("task-api MCP server")
    services = open_services(settings, serving="MCP on stdio")
    storage = services.storage
    try:
        storage.ensure_ready()
    except StorageUnavailable as exc:
        # Start anyway: the client gets a clear error per call until the store is back, then it just works.
        log.warning("storage is not ready yet: %s", exc.message)
    try:
        build_mcp(services).run()
    except KeyboardInterrupt:
        pass
    finally:
        storage.close()


if __name__ == "__main__":
    main()
