"""`task-api` (also `python -m task_api`): serve, the stdio MCP server, seed data and the stage demo, in one command."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from shared.settings import add_access_arguments, load_dotenv_file, settings_from_env

PROG = "task-api"

DESCRIPTION = """\
Task API: users, scheduled calls and tasks, over a REST API and an MCP server sharing one store
(a local folder or S3). Without a command, `serve` is run."""

EPILOG = """\
Configuration comes from environment variables (TASK_API_KEY, TASK_API_STORAGE, TASK_API_DATA_DIR,
AWS_S3_BUCKET, AWS_ENDPOINT_URL, ...; see .env.example). A .env file in the working directory is read
too; variables already set in the environment win over it, and flags win over both.

examples:
  task-api serve                      REST API, /docs, /board and /mcp on http://127.0.0.1:8000
  task-api seed                       load the demo data set into the configured store (idempotent)
  task-api demo                       play the PyCon scenarios against the running server's /mcp
  task-api demo --local               the same, in-process on the configured store
  task-api mcp                        the MCP server on stdio, for Claude Desktop or the Inspector
  task-api mcp --read-only            the same, with only the tools that read (also --toolsets users,calls)"""


class OneLineErrorParser(argparse.ArgumentParser):
    """A usage mistake is one line naming it and where to look, not the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(
        prog=PROG, description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    from task_api import __version__

    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    serve = commands.add_parser(
        "serve",
        help="serve the REST API, the docs, the live board and /mcp (the default)",
        description="Serve the REST API, /docs, /redoc, the live board at /board and the MCP endpoint /mcp.",
    )
    serve.add_argument("--host", help="address to listen on (TASK_API_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (TASK_API_PORT, default 8000)")

    mcp = commands.add_parser(
        "mcp",
        help="run the MCP server on stdio (for Claude Desktop, the Inspector)",
        description="The MCP server on stdin/stdout, over the same store as the REST server; logs go to stderr.",
    )
    add_access_arguments(mcp)

    commands.add_parser(
        "seed",
        help="load the demo data set into the configured store (a second run adds nothing)",
        description="Load a realistic demo data set (30 users, calls around this week, tasks in every status) "
        "into the configured store. Idempotent: what is already there is found, not added again.",
    )

    demo = commands.add_parser(
        "demo",
        help="play the three PyCon scenarios through a real MCP client session",
        description="Play the three PyCon scenarios through a real MCP client, printing each tool call and its "
        "result: register María García and book her onboarding call; complete this week's earliest pending "
        "call; create follow-up tasks for everyone with a call this week. A second run creates nothing.",
    )
    target = demo.add_mutually_exclusive_group()
    target.add_argument(
        "--url", help="the running server's base URL (default http://127.0.0.1:<TASK_API_PORT>); /mcp is added"
    )
    target.add_argument("--local", action="store_true", help="run in-process on the configured store, no server")
    demo.add_argument("--key", help="API key for --url (default: the first full key, TASK_API_KEY or TASK_API_KEYS)")
    demo.add_argument(
        "--pause", type=float, default=0.0, metavar="SECONDS", help="wait after each tool call, for the audience"
    )
    return parser


def _serve(args: argparse.Namespace) -> int:
    # Flags become the variables the entry point reads, so they win over the environment and .env.
    if args.host:
        os.environ["TASK_API_HOST"] = args.host
    if args.port:
        os.environ["TASK_API_PORT"] = str(args.port)
    from task_api.main import main as serve

    serve()
    return 0


def _mcp(args: argparse.Namespace) -> int:
    from mcp_server.__main__ import main as stdio

    stdio(flags=args)
    return 0


def _seed(_: argparse.Namespace) -> int:
    from shared.errors import StorageUnavailable
    from shared.runtime import open_services
    from shared.services import utc_now
    from task_api.seed import seed

    settings = settings_from_env(f"{PROG} seed")
    services = open_services(settings, serving="the seed command")
    storage = services.storage
    try:
        storage.ensure_ready()
        tally = seed(services, utc_now())
    except StorageUnavailable as exc:
        print(f"{PROG} seed: {exc.message}", file=sys.stderr)
        return 1
    finally:
        storage.close()
    print(f"Seeded {storage.describe()}: {tally.summary()}.")
    return 0


def _demo(args: argparse.Namespace) -> int:
    import anyio
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    from mcp_server.server import build_mcp
    from shared.runtime import open_services
    from task_api.demo import play

    settings = settings_from_env(f"{PROG} demo")
    storage = None
    if args.local:
        services = open_services(settings, serving="the demo, in-process")
        storage = services.storage
        client = Client(build_mcp(services, local_label="demo", zone=settings.zone))
        where = f"in-process on {storage.describe()}"
    else:
        base = (args.url or f"http://127.0.0.1:{settings.port}").rstrip("/")
        key = args.key or settings.client_key()
        http = httpx2.AsyncClient(headers={"X-API-Key": key}, timeout=httpx2.Timeout(30, read=60))
        client = Client(streamable_http_client(f"{base}/mcp", http_client=http))
        where = f"{base}/mcp"
        refused = _check_server(base, key)
        if refused:
            print(f"{PROG} demo: {refused}", file=sys.stderr)
            return 1
    print(f"Task API demo · MCP session with {where}")
    try:
        anyio.run(lambda: play(client, pause=args.pause))
    except Exception as exc:  # the client's task group wraps what went wrong in exception groups
        problem = _demo_problem(exc, where)
        if problem is None:
            raise
        print(f"{PROG} demo: {problem}", file=sys.stderr)
        return 1
    finally:
        if storage is not None:
            storage.close()
    return 0


def _check_server(base: str, key: str) -> str | None:
    """Before the session: is the server there, and does it take the key? The MCP client's errors say neither."""
    import httpx2

    try:
        answer = httpx2.get(f"{base}/users", params={"limit": 1}, headers={"X-API-Key": key}, timeout=10)
    except httpx2.TransportError as exc:
        return f"cannot reach {base} ({exc}). Start the server with `{PROG} serve`, or use --local."
    if answer.status_code == 403:
        return f"{base} refused the API key (403). Pass the server's TASK_API_KEY with --key, or set it in .env."
    return None


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


def _demo_problem(exc: BaseException, where: str) -> str | None:
    """What stopped the demo, in one line, or None for a bug (then the traceback is the useful thing)."""
    import httpx2
    from mcp.shared.exceptions import MCPError

    from task_api.demo import DemoFailed

    for leaf in _leaves(exc):
        if isinstance(leaf, DemoFailed):
            return f"stopped: {leaf}"
        if isinstance(leaf, MCPError):
            return f"{where} ended the session: {leaf}."
        if isinstance(leaf, httpx2.HTTPStatusError):
            return f"{where} answered HTTP {leaf.response.status_code}."
        if isinstance(leaf, (OSError, httpx2.TransportError)):
            return f"cannot reach {where} ({leaf}). Start the server with `{PROG} serve`, or use --local."
    return None


COMMANDS = {"serve": _serve, "mcp": _mcp, "seed": _seed, "demo": _demo}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Read before anything looks at the environment, so `.env` holds for every command alike.
    load_dotenv_file()
    command = args.command or "serve"
    if command == "serve" and args.command is None:
        args.host = args.port = None
    return COMMANDS[command](args)


def run() -> NoReturn:
    """The console script."""
    sys.exit(main())
