"""Settings read from the environment, with the names and defaults of the spec's configuration table."""

from __future__ import annotations

import ipaddress
from datetime import tzinfo
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.timekeeping import load_zone

DEFAULT_API_KEY = "demo-secret-key-change-in-production"
MIN_KEY_LENGTH = 16
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

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    api_key: SecretStr = Field(default=SecretStr(DEFAULT_API_KEY), validation_alias="TASK_API_KEY")
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
    def _a_real_key(cls, key: SecretStr) -> SecretStr:
        value = key.get_secret_value()
        if not value.strip():
            raise ValueError(
                "TASK_API_KEY is empty; an empty key would let anyone in. Set a key of 16 characters or more"
            )
        if value != DEFAULT_API_KEY and len(value) < MIN_KEY_LENGTH:
            raise ValueError(f"TASK_API_KEY is shorter than {MIN_KEY_LENGTH} characters; use a longer, random key")
        return key

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
        return self.api_key.get_secret_value() == DEFAULT_API_KEY

    def extra_allowed_hosts(self) -> list[str]:
        return _split(self.allowed_hosts)

    def allowed_cors_origins(self) -> list[str]:
        return _split(self.cors_origins)


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
        problems = "\n".join(f"  {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise SystemExit(f"{program}: invalid configuration in the environment:\n{problems}") from None
