"""The domain and its storage: models, errors, services and backends, shared by the REST and MCP adapters."""
