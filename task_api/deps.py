"""Dependencies shared by the routes, as `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from shared.services import Services

# Declared so that OpenAPI carries the X-API-Key scheme and the Authorize button of /docs works.
# The key itself is checked earlier, by ApiKeyMiddleware, before any body is read or validated.
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="The service's API key.")


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
ApiKeyDoc = Security(api_key_scheme)
