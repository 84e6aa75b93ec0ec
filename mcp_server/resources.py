"""The MCP resources: read-only JSON views a client can attach as context."""

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from mcp_server.errors import explain
from shared.errors import DomainError, NotFound
from shared.services import Services

USER_OVERVIEW_URI = "taskapi://users/{user_id}"


def register_resources(mcp: MCPServer, services: Services) -> None:
    @mcp.resource(
        USER_OVERVIEW_URI,
        name="user_overview",
        title="A user with their calls and tasks",
        description=(
            "JSON {user, calls, tasks}: one user with every call scheduled with them and every task for "
            "them. Get the user_id from the find_users or list_users tools."
        ),
        mime_type="application/json",
    )
    async def user_overview(user_id: str) -> str:
        # Same rule as the tools: the services block on storage, so they run in a worker thread.
        try:
            overview = await anyio.to_thread.run_sync(services.user_overview, user_id)
        except NotFound as exc:
            # Reaches the client as an "invalid params" protocol error carrying this text.
            raise ResourceNotFoundError(explain(exc)) from exc
        except DomainError as exc:
            raise ResourceError(explain(exc)) from exc
        return overview.model_dump_json(indent=2)
