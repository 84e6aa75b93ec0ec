"""Settings read from the environment, with the names and defaults of the spec's configuration table."""

from __future__ import annotations

import argparse
import ipaddress
from datetime import tzinfo
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.access import DEFAULT_API_KEY as DEFAULT_API_KEY
from shared.access import MIN_KEY_LENGTH as MIN_KEY_LENGTH
from shared.access import TOOLSETS, ApiKey, duplicate_problem, parse_keys, parse_toolsets
from shared.timekeeping import load_zone

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def default_data_dir() -> Path:
    """One folder per user, whatever the working directory: the REST server started in a shell and the stdio
    server a desktop client starts elsewhere see the same store (e.g. ~/.local/share/task-api on Linux)."""
    return Path(platformdirs.user_data_dir("task-api", appauthor=False))


class StorageKind(StrEnum):
    LOCAL = "local"
    S3 = "s3"


class Settings(BaseSettings):
    """Built where a process starts (the app factory, the stdio entry point), never at import time."""

    # hide_input_in_errors: a refused setting's error never repeats the value, which may be a key.
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False, hide_input_in_errors=True)

    # Full keys (read and write): TASK_API_KEY, one, and TASK_API_KEYS, several (so a key can be rotated: the
    # new one is added, clients move, the old one is removed). TASK_API_READ_KEYS: keys that can only read.
    # Entries are `label:key` or `key`; the label is what the history records. With none of the three set,
    # the public demo key is the one full key.
    api_key: SecretStr | None = Field(default=None, validation_alias="TASK_API_KEY")
    api_keys: SecretStr = Field(default=SecretStr(""), validation_alias="TASK_API_KEYS")
    read_keys: SecretStr = Field(default=SecretStr(""), validation_alias="TASK_API_READ_KEYS")
    # Nobody can change data: REST writes get 403 whatever the key, and the MCP write tools do not exist.
    read_only: bool = Field(default=False, validation_alias="TASK_API_READ_ONLY")
    # The groups of MCP tools offered (users, calls, tasks, history), comma-separated; blank: all of them.
    toolsets: str = Field(default="", validation_alias="TASK_API_TOOLSETS")
    storage: StorageKind = Field(default=StorageKind.LOCAL, validation_alias="TASK_API_STORAGE")
    data_dir: Path = Field(default_factory=default_data_dir, validation_alias="TASK_API_DATA_DIR")
    host: str = Field(default="127.0.0.1", validation_alias="TASK_API_HOST")
    port: int = Field(default=8000, ge=1, le=65535, validation_alias="TASK_API_PORT")

    aws_region: str = Field(default="us-east-1", validation_alias="AWS_REGION")
    s3_bucket: str = Field(
        default="mcp-pycon-demo-bucket",
        min_length=3,
        max_length=63,
        pattern=r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$",
        validation_alias="AWS_S3_BUCKET",
    )
    # Extra Host header values accepted on /mcp besides the loopback names on the server's own port
    # (DNS-rebinding protection), comma-separated and matched exactly, e.g. "task-api:8000,demo.local:8000";
    # "name:*" accepts that exact name on any port. Needed when clients reach the server by another name.
    allowed_hosts: str = Field(default="", validation_alias="TASK_API_ALLOWED_HOSTS")
    # Browser origins allowed to call the API (CORS) and /mcp, comma-separated, e.g. "http://localhost:6274".
    # Empty (the default): no cross-origin browser access at all.
    cors_origins: str = Field(default="", validation_alias="TASK_API_CORS_ORIGINS")
    # The demo key is refused on a non-loopback address unless this is set (Compose sets it for the demo).
    allow_demo_key: bool = Field(default=False, validation_alias="TASK_API_ALLOW_DEMO_KEY")

    # Decoded entities kept in memory per collection (users, calls, tasks), checked against every listing.
    cache_entries: int = Field(default=25_000, ge=0, validation_alias="TASK_API_CACHE_ENTRIES")

    # None means boto3's default (real AWS); LocalStack or moto set it, e.g. http://localhost:4566.
    aws_endpoint_url: str | None = Field(default=None, validation_alias="AWS_ENDPOINT_URL")

    # The IANA zone a date-time without an offset is read in (e.g. Europe/Madrid); results are always UTC.
    timezone: str = Field(default="UTC", validation_alias="TASK_API_TIMEZONE")

    @field_validator("api_key")
    @classmethod
    def _a_real_key(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None:
            parse_keys("TASK_API_KEY", key.get_secret_value(), read_only=False, single=True)
        return key

    @field_validator("api_keys")
    @classmethod
    def _real_keys(cls, keys: SecretStr) -> SecretStr:
        parse_keys("TASK_API_KEYS", keys.get_secret_value(), read_only=False)
        return keys

    @field_validator("read_keys")
    @classmethod
    def _real_read_keys(cls, keys: SecretStr) -> SecretStr:
        parse_keys("TASK_API_READ_KEYS", keys.get_secret_value(), read_only=True)
        return keys

    @field_validator("toolsets")
    @classmethod
    def _known_toolsets(cls, value: str) -> str:
        try:
            parse_toolsets(value)
        except ValueError as exc:
            raise ValueError(f"TASK_API_TOOLSETS: {exc}") from None
        return value

    @model_validator(mode="after")
    def _each_key_once(self) -> Settings:
        problem = duplicate_problem(self._keys_by_variable())
        if problem is not None:
            raise ValueError(problem)
        return self

    def _keys_by_variable(self) -> list[tuple[str, ApiKey]]:
        keys: list[tuple[str, ApiKey]] = []
        if self.api_key is not None:
            raw = self.api_key.get_secret_value()
            keys += [("TASK_API_KEY", key) for key in parse_keys("TASK_API_KEY", raw, read_only=False, single=True)]
        for variable, value, read_only in (
            ("TASK_API_KEYS", self.api_keys, False),
            ("TASK_API_READ_KEYS", self.read_keys, True),
        ):
            keys += [(variable, key) for key in parse_keys(variable, value.get_secret_value(), read_only=read_only)]
        return keys

    def access_keys(self) -> list[ApiKey]:
        """Every key the server accepts, with its label and scope; the demo key alone when none is set."""
        keys = [key for _, key in self._keys_by_variable()]
        return keys or [ApiKey(label="default", secret=DEFAULT_API_KEY, read_only=False)]

    def client_key(self) -> str:
        """The key this machine's own clients (`task-api demo`) send: the first full key, else the first key."""
        keys = self.access_keys()
        return next((key.secret for key in keys if not key.read_only), keys[0].secret)

    def enabled_toolsets(self) -> tuple[str, ...]:
        return parse_toolsets(self.toolsets)

    def describe_access(self) -> str:
        """For the start-up log: the keys by label and scope (never the keys), read-only, the MCP toolsets."""
        keys = ", ".join(f"{key.label} ({'read-only' if key.read_only else 'full'})" for key in self.access_keys())
        toolsets = self.enabled_toolsets()
        return (
            "API keys: "
            + keys
            + ("; the server is read-only" if self.read_only else "")
            + (f"; MCP toolsets: {', '.join(toolsets)}" if toolsets != TOOLSETS else "")
        )

    def with_access_flags(self, flags: argparse.Namespace) -> Settings:
        """These settings with --read-only/--no-read-only and --toolsets applied: flags win over the env."""
        changes: dict[str, object] = {}
        if getattr(flags, "read_only", None) is not None:
            changes["read_only"] = flags.read_only
        if getattr(flags, "toolsets", None) is not None:
            changes["toolsets"] = flags.toolsets
        return self.model_copy(update=changes)

    @field_validator("cors_origins")
    @classmethod
    def _exact_origins(cls, value: str) -> str:
        for origin in _split(value):
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
                raise ValueError(f"{origin!r} is not an origin like https://app.example.com or http://localhost:6274")
        return value

    @field_validator("timezone")
    @classmethod
    def _a_known_zone(cls, value: str) -> str:
        name = value.strip() or "UTC"  # set but empty (a Compose file's ${TASK_API_TIMEZONE:-}): the default
        load_zone(name)
        return name

    @property
    def zone(self) -> tzinfo:
        """TASK_API_TIMEZONE as a zone (checked when the settings were read)."""
        return load_zone(self.timezone)

    @property
    def uses_demo_key(self) -> bool:
        return any(key.secret == DEFAULT_API_KEY for key in self.access_keys())

    def extra_allowed_hosts(self) -> list[str]:
        return _split(self.allowed_hosts)

    def allowed_cors_origins(self) -> list[str]:
        return _split(self.cors_origins)


def _toolsets_flag(value: str) -> str:
    try:
        parse_toolsets(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def add_access_arguments(parser: argparse.ArgumentParser) -> None:
    """--read-only and --toolsets, for the MCP server's entry points (`python -m mcp_server`, `task-api mcp`)."""
    parser.add_argument(
        "--read-only",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="offer only the tools that read; the ones that change data do not exist (TASK_API_READ_ONLY)",
    )
    parser.add_argument(
        "--toolsets",
        type=_toolsets_flag,
        metavar="GROUP[,GROUP...]",
        help=f"the groups of tools to offer, from {', '.join(TOOLSETS)} (TASK_API_TOOLSETS, default: all)",
    )


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def is_loopback(host: str) -> bool:
    if host in ("localhost", "[::1]"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def demo_key_problem(settings: Settings) -> str | None:
    """Why the REST server must not start with these settings' key, or None. The demo key is public (it is in
    the README): on a non-loopback address anyone on the network could use it, unless explicitly allowed."""
    if settings.uses_demo_key and not is_loopback(settings.host) and not settings.allow_demo_key:
        return (
            f"refusing to serve the public demo key on {settings.host}, reachable from other machines: set "
            "TASK_API_KEY to a secret of 16 characters or more (or TASK_API_ALLOW_DEMO_KEY=1 for a throwaway demo)"
        )
    return None


DOTENV_FILE = ".env"


def load_dotenv_file(path: Path = Path(DOTENV_FILE)) -> bool:
    """Variables from a `.env` file in the working directory, for those not already set: real ones win.

    Loaded into the process environment (not only into Settings), so boto3 sees AWS_* credentials too.
    """
    if not path.is_file():
        return False
    from dotenv import load_dotenv

    return load_dotenv(path, override=False)


def settings_from_env(program: str) -> Settings:
    """The settings of a starting process; bad values end it with one readable line each, not a traceback.

    A `.env` file in the working directory is read first; variables already in the environment win.
    """
    load_dotenv_file()
    try:
        return Settings()
    except ValidationError as exc:
        problems = "\n".join(f"  {_problem(e['loc'], e['msg'])}" for e in exc.errors())
        raise SystemExit(f"{program}: invalid configuration in the environment:\n{problems}") from None


def _problem(loc: tuple[int | str, ...], message: str) -> str:
    # Messages of the key and toolset checks name their variable themselves (a check across variables, such
    # as a key listed twice, has no single location): the location is added only when they do not.
    message = message.removeprefix("Value error, ")
    where = ".".join(map(str, loc))
    return f"{where}: {message}" if where and not message.startswith(where) else message
