"""Who may do what: API keys with a label and a scope (full or read-only), and the MCP tool groups a server offers.

A key's label is what the change history and the logs record, never the key. The adapters hold the grant a
request was given by its key; the services only ever see the label, through `shared.context.current_actor`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_API_KEY = "demo-secret-key-change-in-production"
MIN_KEY_LENGTH = 16
LABEL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
LABEL_RULE = "1-40 letters, digits, '_', '.' or '-', starting with a letter or digit"

# The groups of MCP tools TASK_API_TOOLSETS and --toolsets choose from; every group by default.
TOOLSETS = ("users", "calls", "tasks", "history")

# Where the API key middleware leaves the request's grant in the ASGI scope: scope["state"][GRANT_STATE],
# i.e. `request.state.grant` for a Starlette request (the MCP transport's included).
GRANT_STATE = "grant"


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One configured key: its label (recorded), the secret (compared, never shown) and its scope."""

    label: str
    secret: str = field(repr=False)
    read_only: bool


@dataclass(frozen=True, slots=True)
class Grant:
    """What the key presented with a request allows: who it is (the label) and whether it may change data."""

    label: str
    read_only: bool


def grant_in(scope: Mapping[str, Any]) -> Grant | None:
    """The grant the API key middleware gave this request (an ASGI scope), or None if it gave none."""
    state = scope.get("state")
    grant = state.get(GRANT_STATE) if isinstance(state, Mapping) else None
    return grant if isinstance(grant, Grant) else None


def _fingerprint_label(prefix: str, secret: str) -> str:
    # Stable across rotations (it does not depend on the key's position) and useless to an attacker:
    # 32 bits of a hash of a key of 16 characters or more.
    return f"{prefix}-{hashlib.sha256(secret.encode()).hexdigest()[:8]}"


def parse_keys(variable: str, raw: str, *, read_only: bool, single: bool = False) -> list[ApiKey]:
    """The keys of one variable: comma-separated `label:key` or `key` entries (`single`: one entry, no commas).

    An entry is split at its first ":" only when what precedes it is a valid label, so a key that contains
    a colon still works when written as `label:key`. An entry without a label gets "default" (TASK_API_KEY)
    or a label derived from a hash of the key. Problems raise ValueError naming the variable and the label
    or position, never the key.
    """
    entries = [raw.strip()] if single else [entry.strip() for entry in raw.split(",") if entry.strip()]
    if single and not entries[0]:
        raise ValueError(f"{variable} is empty; an empty key would let anyone in. Set a key of 16 characters or more")
    keys = []
    for position, entry in enumerate(entries, start=1):
        label, sep, secret = entry.partition(":")
        label = label.strip()
        if sep and LABEL_PATTERN.fullmatch(label):
            secret = secret.strip()
            which = f"the key labelled {label!r}"
        else:
            label, secret = "", entry
            which = "the key" if single else f"key {position}"
        if not label:
            label = "default" if single else _fingerprint_label("read" if read_only else "key", secret)
        if not secret:
            raise ValueError(f"{variable}: {which} is empty; give it a key of {MIN_KEY_LENGTH} characters or more")
        if secret != DEFAULT_API_KEY and len(secret) < MIN_KEY_LENGTH:
            name = variable if single and which == "the key" else f"{variable}: {which}"
            raise ValueError(f"{name} is shorter than {MIN_KEY_LENGTH} characters; use a longer, random key")
        keys.append(ApiKey(label=label, secret=secret, read_only=read_only))
    return keys


def duplicate_problem(keys: Iterable[tuple[str, ApiKey]]) -> str | None:
    """Why this set of keys (each with the variable it came from) is ambiguous, or None.

    One key listed twice would have two labels (or two scopes); one label on two keys would make the
    history unable to tell them apart. Named by label and variable, never by key.
    """
    by_secret: dict[str, tuple[str, ApiKey]] = {}
    by_label: dict[str, str] = {}
    for variable, key in keys:
        first = by_secret.get(key.secret)
        if first is not None:
            return (
                f"{variable}: the key labelled {key.label!r} is the same key as the one labelled "
                f"{first[1].label!r} in {first[0]}; list each key once"
            )
        by_secret[key.secret] = (variable, key)
        if key.label in by_label:
            return (
                f"{variable}: the label {key.label!r} is already used by another key in {by_label[key.label]}; "
                "give each key its own label"
            )
        by_label[key.label] = variable
    return None


def parse_toolsets(raw: str) -> tuple[str, ...]:
    """The tool groups named in `raw` (comma-separated), in TOOLSETS order; every group when it is blank."""
    names = {name.strip().lower() for name in raw.split(",") if name.strip()}
    if not names:
        return TOOLSETS
    unknown = sorted(names - set(TOOLSETS))
    if unknown:
        raise ValueError(
            f"unknown toolset{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"the toolsets are: {', '.join(TOOLSETS)}"
        )
    return tuple(name for name in TOOLSETS if name in names)
