"""Settings from the environment and an optional `.env` file."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite:///jointuse.db"


class ConfigError(ValueError):
    """A setting that cannot work; raised at start-up, before serving anything."""


def async_database_url(raw: str) -> URL:
    """Map the URLs users write (`sqlite:///f`, `postgresql://`, `postgresql+psycopg://`)
    to the async driver jointuse runs on."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(f"DATABASE_URL is not a database URL: {raw!r}") from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.database in (None, "", ":memory:"):
            raise ConfigError("DATABASE_URL: SQLite needs a file path, e.g. sqlite:///jointuse.db")
        return url.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        query = dict(url.query)
        # asyncpg spells libpq's sslmode as ssl.
        if "sslmode" in query:
            query["ssl"] = query.pop("sslmode")
        return url.set(drivername="postgresql+asyncpg", query=query)
    raise ConfigError(
        f"DATABASE_URL: unsupported database {backend!r}; use sqlite:///path or postgresql://..."
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")
    admin_key: SecretStr | None = Field(None, validation_alias="JOINTUSE_ADMIN_KEY")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias="JOINTUSE_LOG_LEVEL"
    )
    access_log: bool = Field(False, validation_alias="JOINTUSE_ACCESS_LOG")
    db_pool_size: int = Field(10, ge=1, le=200, validation_alias="JOINTUSE_DB_POOL_SIZE")
    db_max_overflow: int = Field(10, ge=0, le=200, validation_alias="JOINTUSE_DB_MAX_OVERFLOW")
    db_timeout_seconds: float = Field(5.0, gt=0, validation_alias="JOINTUSE_DB_TIMEOUT_SECONDS")
    # PostgreSQL, the server's statements: one that runs, or waits for a lock, longer than
    # this is cancelled and answered 503 (contract section 7), not left holding a worker.
    # 0: no bound.
    db_statement_timeout_ms: int = Field(
        10_000, ge=0, le=3_600_000, validation_alias="JOINTUSE_DB_STATEMENT_TIMEOUT_MS"
    )
    db_lock_timeout_ms: int = Field(
        5_000, ge=0, le=3_600_000, validation_alias="JOINTUSE_DB_LOCK_TIMEOUT_MS"
    )
    sqlite_busy_timeout_ms: int = Field(
        10_000, ge=0, validation_alias="JOINTUSE_SQLITE_BUSY_TIMEOUT_MS"
    )
    # Contract section 8: requests per API key and minute, across workers; 0: no limit.
    rate_limit_per_minute: int = Field(
        600, ge=0, le=1_000_000_000, validation_alias="JOINTUSE_RATE_LIMIT_PER_MINUTE"
    )
    # Contract section 8: an Idempotency-Key is kept at least 24 hours.
    idempotency_keep_hours: int = Field(
        24, ge=24, le=24 * 30, validation_alias="JOINTUSE_IDEMPOTENCY_KEEP_HOURS"
    )
    # Contract section 8: webhook URLs that resolve to loopback, private or link-local
    # addresses are refused unless this is set (a test's local receiver, say).
    webhook_allow_private_urls: bool = Field(
        False, validation_alias="JOINTUSE_WEBHOOK_ALLOW_PRIVATE_URLS"
    )
    # The first retry of a failed delivery comes this late, each next about twice as late.
    webhook_retry_base_seconds: float = Field(
        10.0, gt=0, le=3600, validation_alias="JOINTUSE_WEBHOOK_RETRY_BASE_SECONDS"
    )
    # How long `jointuse worker` waits for a receiver's answer.
    webhook_timeout_seconds: float = Field(
        10.0, gt=0, le=120, validation_alias="JOINTUSE_WEBHOOK_TIMEOUT_SECONDS"
    )
    # Contract section 7: GET /metrics for admin keys, or for anyone when this is set.
    metrics_public: bool = Field(False, validation_alias="JOINTUSE_METRICS_PUBLIC")
    max_body_bytes: int = Field(1_048_576, ge=1024, validation_alias="JOINTUSE_MAX_BODY_BYTES")
    # `jointuse serve`'s HTTP limits (`core.protocol`): the request line and header fields
    # together, and how long a request's head, then its body, may take to arrive.
    max_header_bytes: int = Field(
        16_384, ge=1024, le=1_048_576, validation_alias="JOINTUSE_MAX_HEADER_BYTES"
    )
    header_timeout_seconds: float = Field(
        10.0, gt=0, le=300, validation_alias="JOINTUSE_HEADER_TIMEOUT_SECONDS"
    )
    body_timeout_seconds: float = Field(
        30.0, gt=0, le=600, validation_alias="JOINTUSE_BODY_TIMEOUT_SECONDS"
    )
    # Heavy reads (statements, reports) at once per worker, and how many may wait for one.
    heavy_reads: int = Field(2, ge=1, le=64, validation_alias="JOINTUSE_HEAVY_READS")
    heavy_reads_waiting: int = Field(
        8, ge=0, le=1000, validation_alias="JOINTUSE_HEAVY_READS_WAITING"
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, v: object) -> object:
        return v.upper() if isinstance(v, str) else v

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, v: str) -> str:
        async_database_url(v)  # fail at start-up, not on the first request
        return v

    @property
    def async_url(self) -> URL:
        return async_database_url(self.database_url)



@lru_cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
