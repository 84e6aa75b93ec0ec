"""/{users,calls,tasks}/{id}/history and /{id}/revert: an entity's versions, and restoring one as a new change."""

# No `from __future__ import annotations`: the routes' path parameter type is built per kind, inside
# history_router, and FastAPI must see it evaluated rather than as a name it cannot resolve.

from typing import Annotated

from fastapi import APIRouter, Path

from shared.models import Entity, EntityHistory, EntityKind, RevertRequest
from task_api.deps import ApiKeyDoc, ServicesDep


def history_router(kind: EntityKind, model: type[Entity]) -> APIRouter:
    """The two routes for one kind, under its own prefix and tag, beside that kind's other routes."""
    word = kind.removesuffix("s")
    id_name = f"{word}_id"
    router = APIRouter(prefix=f"/{kind}", tags=[kind], dependencies=[ApiKeyDoc])
    EntityId = Annotated[str, Path(alias=id_name)]  # the path says task_id, call_id, user_id as elsewhere

    @router.get(
        f"/{{{id_name}}}/history",
        summary=f"Change history of a {word}",
        description=f"Every version of the {word}, oldest first: who wrote it (`actor`, the key's label; `via`, "
        "rest or mcp), when (`at`), how (`action`) and the whole entity as it was. The last is the current one; "
        "`current_version` is its number, to pass as `expected_version` to revert.",
        name=f"{word}_history",
    )
    def get_history(entity_id: EntityId, services: ServicesDep) -> EntityHistory:
        return services.history(kind, entity_id)

    @router.post(
        f"/{{{id_name}}}/revert",
        summary=f"Restore an earlier version of a {word}",
        description="Restore every field of that version (all but id and created_at) as a new change, shown in "
        "the history as a revert: nothing is rewritten, and a revert can itself be reverted. Restoring the "
        "current state changes nothing. With `expected_version`, 409 unless the entity is still at that "
        "version; a version that does not exist is 422.",
        name=f"revert_{word}",
        response_model=model,
    )
    def revert(entity_id: EntityId, payload: RevertRequest, services: ServicesDep) -> Entity:
        return services.revert(kind, entity_id, payload.version, payload.expected_version).entity

    return router
