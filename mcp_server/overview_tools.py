"""The get_user_overview tool: a user, their next calls and open tasks, and counts, in one small answer."""

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from mcp_server.errors import service_tool
from shared.models import EntityId, UserBriefing
from shared.services import Services

_READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_USER_ID = Field(description="The user's id, as returned by find_users, list_users or create_user.")


def register_overview_tools(mcp: MCPServer, services: Services) -> None:
    @mcp.tool(title="Get a user's overview", annotations=_READ_ONLY)
    @service_tool
    def get_user_overview(user_id: Annotated[EntityId, _USER_ID]) -> UserBriefing:
        """What to know before talking to a user: who they are, their next 5 calls (scheduled or rescheduled,
        not yet over, soonest first), their 10 open tasks (todo or in_progress, soonest due first), their
        calls and tasks by status, and how many more upcoming calls and open tasks there are.

        Needs a user_id: call find_users first. For a call or task in full (notes, description), use get_call
        or get_task.
        """
        return services.user_briefing(user_id)
