"""The REST adapter: a FastAPI app over the shared services, also serving the MCP endpoint at /mcp."""

__version__ = "0.1.0"
