"""The MCP adapter: tools, resources and prompts over the shared services, served on stdio or at /mcp."""

from mcp_server.server import build_mcp

__all__ = ["build_mcp"]
