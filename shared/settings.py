"""Settings read from the environment, with the names and defaults of the spec's configuration table."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_API_KEY = "demo-secret-key-change-in-production"


class StorageKind(StrEnum):
    LOCAL = "local"
    S3 = "s3"


class Settings(BaseSettings):
    """Built where a process starts (the app factory, the stdio entry point), never at import time."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    api_key: SecretStr = Field(default=SecretStr(DEFAULT_API_KEY), validation_alias="TASK_API_KEY")
    storage: StorageKind = Field(default=StorageKind.LOCAL, validation_alias="TASK_API_STORAGE")
    data_dir: Path = Field(default=Path("data"), validation_alias="TASK_API_DATA_DIR")
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
    # Extra Host header values accepted on /mcp besides loopback names (DNS-rebinding protection),
    # comma-separated, e.g. "task-api:*,demo.local:8000". Needed when clients reach the server by another name.
    allowed_hosts: str = Field(default="", validation_alias="TASK_API_ALLOWED_HOSTS")

    # Decoded entities kept in memory per collection (users, calls, tasks), checked against every listing.
    cache_entries: int = Field(default=25_000, ge=0, validation_alias="TASK_API_CACHE_ENTRIES")

    # None means boto3's default (real AWS); LocalStack or moto set it, e.g. http://localhost:4566.
    aws_endpoint_url: str | None = Field(default=None, validation_alias="AWS_ENDPOINT_URL")

    def mcp_allowed_hosts(self) -> list[str]:
        loopback = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
        extra = [h.strip() for h in self.allowed_hosts.split(",") if h.strip()]
        return loopback + extra


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
