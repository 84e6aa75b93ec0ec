"""The history tools: what changed an entity, version by version, and undoing it as a new change."""

# No `from __future__ import annotations`: the SDK evaluates these signatures to build the JSON schemas.

from datetime import datetime
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from mcp_server.errors import service_tool
from shared.models import EntityId, EntityKind, EntityVersion, HistoryAction
from shared.services import Services

KIND = Field(description="users, calls or tasks: the kind of entity the id names.")
ENTITY = Field(description="The id of that user, call or task.")

# A revert is a new version, never a deletion, and reverting to the same version again changes nothing.
_READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_REVERT = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False)

# What a version's `at` already says, or what never changes: left out of the changes.
_IMPLIED = frozenset({"updated_at"})


def _is_none(value: object) -> bool:
    return value is None


class VersionChanges(BaseModel):
    """One version: who, when, how, and only the fields it changed (every field for the first)."""

    version: int
    at: datetime
    actor: str | None = Field(default=None, exclude_if=_is_none, description="The writer's key label.")
    via: str | None = Field(default=None, exclude_if=_is_none)
    action: HistoryAction
    reverted_to: int | None = Field(default=None, exclude_if=_is_none)
    changes: dict[str, Any]


class HistoryDigest(BaseModel):
    """An entity's versions, oldest first; the last is the entity now."""

    current_version: int
    versions: list[VersionChanges]


class RevertResult(BaseModel):
    """The entity after the revert; changed is false when it already had that version's fields."""

    current_version: int
    changed: bool
    entity: dict[str, Any]


def digest(versions: list[EntityVersion]) -> HistoryDigest:
    entries: list[VersionChanges] = []
    before: dict[str, Any] | None = None
    for version in versions:
        after = version.entity
        if before is None:
            changes = dict(after)
        else:  # in the entity's field order
            names = [*after, *(name for name in before if name not in after)]
            changes = {
                name: after.get(name) for name in names if name not in _IMPLIED and after.get(name) != before.get(name)
            }
        entries.append(VersionChanges(**version.model_dump(exclude={"entity"}), changes=changes))
        before = after
    return HistoryDigest(current_version=len(versions), versions=entries)


def register_history_tools(mcp: MCPServer, services: Services) -> None:
    @mcp.tool(title="Show the history of a user, call or task", annotations=_READ_ONLY)
    @service_tool
    def get_history(kind: Annotated[EntityKind, KIND], id: Annotated[EntityId, ENTITY]) -> HistoryDigest:
        """Who changed a user, call or task, when, and what: its versions, oldest first, each with only the
        fields it changed (all of them for version 1).

        Use it to check what happened, or before undoing a change: then call revert_change with the version
        to go back to and expected_version=current_version.
        """
        return digest(services.history(kind, id).versions)

    @mcp.tool(title="Restore an earlier version", annotations=_REVERT)
    @service_tool
    def revert_change(
        kind: Annotated[EntityKind, KIND],
        id: Annotated[EntityId, ENTITY],
        version: Annotated[int, Field(ge=1, description="The version to restore, from get_history.")],
        expected_version: Annotated[
            int | None,
            Field(ge=1, description="The current_version get_history gave; refused if it changed since."),
        ] = None,
    ) -> RevertResult:
        """Undo changes: restore every field of an earlier version as a new version. Nothing is deleted; a
        revert shows in get_history and can itself be reverted.

        Call get_history first. If refused because the entity changed since, call get_history again and decide.
        """
        reverted = services.revert(kind, id, version, expected_version)
        return RevertResult(
            current_version=reverted.current_version,
            changed=reverted.changed,
            entity=reverted.entity.model_dump(mode="json"),
        )
