"""The stdio entry point: `python -m mcp_server` (or `task-api-mcp`), for desktop MCP clients."""

import argparse
import logging
import sys
import threading
from collections.abc import Sequence

from mcp_server.logs import configure_logging
from mcp_server.server import build_mcp
from shared.runtime import open_services
from shared.settings import add_access_arguments, settings_from_env
from shared.storage.startup import keep_trying_until_ready

log = logging.getLogger("mcp_server")

# Who acts, in the history and the logs, for calls over stdio: whoever started the process.
STDIO_LABEL = "stdio"


def build_parser(prog: str = "python -m mcp_server") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="The Task API MCP server on stdin/stdout, for desktop MCP clients; logs go to stderr. "
        "Configured by the TASK_API_* variables (and a .env file); these flags win over them.",
    )
    add_access_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None, *, flags: argparse.Namespace | None = None) -> None:
    """Run the stdio server; `flags` are the already parsed flags when `task-api mcp` calls it."""
    if flags is None:
        flags = build_parser().parse_args(argv)
    # stdout carries the protocol: a single stray line there breaks the client, so logs go to stderr.
    # Configured before the server is built, so the SDK's own logging setup leaves this one in place.
    configure_logging(stream=sys.stderr)
    settings = settings_from_env("task-api MCP server").with_access_flags(flags)
    services = open_services(settings, serving="MCP on stdio")
    storage = services.storage
    # The store is made ready in the background: the client's initialize is answered at once, whatever S3
    # does; until the store works, each tool call gets an error result naming the cause.
    stop = threading.Event()
    threading.Thread(
        target=keep_trying_until_ready, args=(storage, stop, log), name="storage-ready", daemon=True
    ).start()
    try:
        build_mcp(
            services,
            read_only=settings.read_only,
            toolsets=settings.enabled_toolsets(),
            local_label=STDIO_LABEL,
            zone=settings.zone,
        ).run()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        storage.close()


if __name__ == "__main__":
    main()
