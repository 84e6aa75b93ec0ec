"""Cursor pages over a collection in key order: what a cursor holds and how a page is cut.

The cursor is the last id of the page it follows, bound to its list, in an opaque envelope: a client passes it
back unchanged and the next page starts right after that key (S3's StartAfter). Entities created meanwhile
have later keys, so they show up on a later page; none is skipped or repeated, whatever its id looks like.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import TypeVar

from shared.errors import InvalidInput
from shared.models import Entity, Page
from shared.storage.base import is_valid_id, key_name
from shared.storage.repository import Repository

E = TypeVar("E", bound=Entity)

_BAD_CURSOR = "Invalid cursor: pass the next_cursor of a previous page unchanged, or omit it to start at the top."


def encode_cursor(listing: str, after: str) -> str:
    raw = json.dumps([listing, after], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(listing: str, cursor: str) -> str:
    """The id the page starts after; InvalidInput for a cursor that is not one of ours, or of another list."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_listing, after = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, RecursionError) as exc:
        raise InvalidInput("cursor", _BAD_CURSOR) from exc
    if not isinstance(cursor_listing, str) or not isinstance(after, str) or not is_valid_id(after):
        raise InvalidInput("cursor", _BAD_CURSOR)
    if cursor_listing != listing:
        raise InvalidInput("cursor", f"This cursor belongs to the {cursor_listing} list, not the {listing} list.")
    return after


def read_page(
    repository: Repository[E],
    match: Callable[[E], bool] | None,
    limit: int | None,
    cursor: str | None,
) -> Page[E]:
    """A page of the collection in key order (oldest first for ids minted here), or all of it with no limit."""
    if limit is not None and limit < 1:
        raise InvalidInput("limit", "limit must be at least 1.")
    listing_name = repository.collection
    after = decode_cursor(listing_name, cursor) if cursor else None
    if limit is None:
        listing = repository.all(match, after=after)
    else:
        listing = repository.page(after=after, limit=limit, match=match)
    next_cursor = encode_cursor(listing_name, listing.next_after) if listing.next_after else None
    skipped = [f"{listing_name}/{key_name(object_id)}" for object_id in listing.skipped]
    return Page(items=listing.items, next_cursor=next_cursor, skipped=skipped)
