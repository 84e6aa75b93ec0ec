"""The get_current_time tool: what "now" is, so a model computes "next Friday at 10" right."""

from datetime import tzinfo

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

from mcp_server.errors import service_tool
from shared.services import Services
from shared.timekeeping import CurrentTime

# Read-only, but not idempotent in the sense of "same answer twice": the clock moves.
_READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)


def register_time_tools(mcp: MCPServer, services: Services, zone: tzinfo) -> None:
    @mcp.tool(title="Get the current time", annotations=_READ_ONLY)
    @service_tool
    def get_current_time() -> CurrentTime:
        """Now: the instant in UTC, the server's time zone, the local time and weekday, today and this week's Monday.

        Call it before turning a relative date ("tomorrow", "next Friday at 10") into a date-time. A date-time
        without an offset is read in time_zone.
        """
        return services.current_time(zone)
