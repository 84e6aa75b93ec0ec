"""The stdio entry point: `python -m mcp_server` (or `task-api-mcp`), for desktop MCP clients."""

import logging
import sys
import threading

from mcp_server.logs import configure_logging
from mcp_server.server import build_mcp
from shared.runtime import open_services
from shared.settings import settings_from_env
from shared.storage.startup import keep_trying_until_ready

log = logging.getLogger("mcp_server")


def main() -> None:
    # stdout carries the protocol: a single stray line there breaks the client, so logs go to stderr.
    # Configured before the server is built, so the SDK's own logging setup leaves this one in place.
    configure_logging(stream=sys.stderr)
    settings = settings_from_env("task-api MCP server")
    services = open_services(settings, serving="MCP on stdio")
    storage = services.storage
    # The store is made ready in the background: the client's initialize is answered at once, whatever S3
    # does; until the store works, each tool call gets an error result naming the cause.
    stop = threading.Event()
    threading.Thread(
        target=keep_trying_until_ready, args=(storage, stop, log), name="storage-ready", daemon=True
    ).start()
    try:
        build_mcp(services, zone=settings.zone).run()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        storage.close()


if __name__ == "__main__":
    main()
