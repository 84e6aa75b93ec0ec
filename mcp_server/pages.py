"""What the MCP list tools return: compact items, whether more follow, and the cursor to get them."""

# No `from __future__ import annotations`: the SDK evaluates the tool signatures that use these types.

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, BeforeValidator, Field, TypeAdapter, WithJsonSchema, create_model

from mcp_server.schemas import lean
from shared.fields import CALL_FIELDS, TASK_FIELDS, USER_FIELDS, FieldSet
from shared.models import Entity, Page


def item_schema(field_set: FieldSet) -> dict[str, Any]:
    """An item of a list: the entity's properties, none required, since `fields` chooses which are present."""
    schema = lean(TypeAdapter(field_set.model).json_schema())
    return {"type": "object", "properties": schema["properties"]}


class ToolPage(BaseModel):
    """One page of a list, oldest first."""

    # The lists publish their output schema (see TaskAPIServer.list_tools): their items change with `fields`.
    publish_output_schema: ClassVar[bool] = True

    items: list[dict[str, Any]]
    has_more: bool
    next_cursor: str | None = Field(default=None, exclude_if=lambda cursor: cursor is None)
    note: str | None = Field(default=None, exclude_if=lambda note: note is None)

    @classmethod
    def of(cls, page: Page[Any], field_set: FieldSet, fields: list[str] | None, fixed: tuple[str, ...] = ()) -> Self:
        """The page's entities with only the requested fields (the compact default when None, less the `fixed`
        fields the list's filter holds to one value)."""
        chosen = field_set.select(fields, fixed=fixed)
        return cls(
            items=field_set.project(page.items, chosen),
            has_more=page.next_cursor is not None,
            next_cursor=page.next_cursor,
            note=page.skipped_note(),
        )


def _items_of(field_set: FieldSet) -> Callable[[dict[str, Any]], None]:
    # Filled in when the schema is made (at registration), not at import.
    def fill(schema: dict[str, Any]) -> None:
        schema["items"] = item_schema(field_set)

    return fill


class UserPage(ToolPage):
    items: list[dict[str, Any]] = Field(json_schema_extra=_items_of(USER_FIELDS))


class CallPage(ToolPage):
    items: list[dict[str, Any]] = Field(json_schema_extra=_items_of(CALL_FIELDS))


class TaskPage(ToolPage):
    items: list[dict[str, Any]] = Field(json_schema_extra=_items_of(TASK_FIELDS))


def _split(value: object) -> object:
    # A model may send "id,title" or "all" rather than a list: read it as the list it means.
    return value.split(",") if isinstance(value, str) else value


def _names(field_set: FieldSet) -> WithJsonSchema:
    # The names `fields` takes, listed in the schema; FieldSet.select checks them and says which are valid.
    return WithJsonSchema({"type": "array", "items": {"enum": list(field_set.choices())}})


def _about(field_set: FieldSet) -> Any:
    return Field(
        description=f"Fields of each item, as few as you need; default {', '.join(field_set.default)} "
        "(less user_id or status when you filter on them)."
    )


UserFields = Annotated[list[str] | None, BeforeValidator(_split), _names(USER_FIELDS), _about(USER_FIELDS)]
CallFields = Annotated[list[str] | None, BeforeValidator(_split), _names(CALL_FIELDS), _about(CALL_FIELDS)]
TaskFields = Annotated[list[str] | None, BeforeValidator(_split), _names(TASK_FIELDS), _about(TASK_FIELDS)]


@functools.cache
def item_model(field_set: FieldSet, *, note: bool = False) -> type[BaseModel]:
    """The compact form of one entity (FieldSet.written: its default fields and any the writer should see), as a
    model: what the write tools return.

    With `note`, an optional `note` too (left out when there is none): create_user's word on a duplicate email.
    """
    fields: dict[str, Any] = {name: (field_set.model.model_fields[name].annotation, ...) for name in field_set.written}
    if note:
        fields["note"] = (str | None, Field(default=None, exclude_if=lambda value: value is None))
    name = f"{field_set.model.__name__}Item" + ("WithNote" if note else "")
    return create_model(name, __doc__=f"The {field_set.kind}, compact.", **fields)


def compact_result(
    field_set: FieldSet, *, note: bool = False
) -> Callable[[Callable[..., Awaitable[Entity]]], Callable[..., Awaitable[Any]]]:
    """A write tool answers with the entity's compact form (its list item), not the whole of it.

    The model has just sent the free text (notes, description); echoing it back, with the bookkeeping
    timestamps, doubles a write's answer and tells it nothing. The id, status and dates it may act on stay;
    get_user, get_call and get_task give the whole entity. The tool's signature keeps its arguments and
    declares the compact model as its result, so the SDK checks results against that.
    """

    def decorate(tool: Callable[..., Awaitable[Entity]]) -> Callable[..., Awaitable[Any]]:
        model = item_model(field_set, note=note)
        include = set(field_set.written) | ({"note"} if note else set())

        @functools.wraps(tool)
        async def compacted(*args: Any, **kwargs: Any) -> Any:
            entity = await tool(*args, **kwargs)
            return model.model_validate(entity.model_dump(include=include))

        compacted.__signature__ = inspect.signature(tool).replace(return_annotation=model)  # type: ignore[attr-defined]
        compacted.__annotations__ = {**tool.__annotations__, "return": model}
        return compacted

    return decorate
