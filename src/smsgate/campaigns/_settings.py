"""The ``[campaigns]`` table of the config file: where campaigns keep state and who runs them.

[campaigns]
broker = "redis://127.0.0.1:6379/1"   # Celery broker; none: campaigns run in the sending process
store = "redis://127.0.0.1:6379/0"    # shared state; default: the send log's SQLite file
chunk_size = 1000                     # rows per chunk (one Celery task)
limits = {per_day = 10}               # per-phone limits, counted per row across every worker
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .._config import DEFAULT_LOG, Config
from .._errors import ConfigError
from ..policy.limits import PhoneLimits
from ..providers.base import settings_problems
from ..stores.base import Store

__all__ = ["CampaignSettings", "open_store"]


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    per_minute: int | None = Field(None, ge=0)
    per_hour: int | None = Field(None, ge=0)
    per_day: int | None = Field(None, ge=0)


class CampaignSettings(BaseModel):
    """Validated ``[campaigns]`` settings; ``CampaignSettings.of(config)``."""

    model_config = ConfigDict(extra="forbid")

    broker: str | None = Field(None, description="Celery broker URL (redis://, amqp://); none: in-process")
    store: str | None = Field(None, description="redis:// URL or SQLite file for campaign state")
    chunk_size: int = Field(1000, ge=1, le=100_000)
    batch_size: int = Field(100, ge=1, le=1000)
    concurrency: int = Field(8, ge=1, le=1024, description="batches in flight per process")
    lease: float = Field(60.0, gt=0, description="seconds a chunk stays with a silent run before another takes it")
    limits: Limits | None = None

    @classmethod
    def of(cls, config: Config) -> CampaignSettings:
        try:
            return cls.model_validate(config.campaigns)
        except ValidationError as exc:
            raise ConfigError(settings_problems(exc, f"{config.source}: [campaigns]")) from None

    def phone_limits(self) -> PhoneLimits | None:
        return None if self.limits is None else PhoneLimits(**self.limits.model_dump())

    def store_url(self, config: Config) -> str:
        return self.store or config.send_log or DEFAULT_LOG

    def open_store(self, config: Config) -> Store:
        return open_store(self.store_url(config))


def open_store(url: str, **options: Any) -> Store:
    """A store from a URL: ``redis://…`` / ``rediss://…`` (RedisStore), else an SQLite file path."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        from ..stores.redis import RedisStore

        return RedisStore(url, **options)
    if "://" in url:
        raise ConfigError(
            f"campaigns.store: {url.split('://')[0]}:// is not a store this version opens (redis:// or a file)"
        )
    from ..stores.sqlite import SQLiteStore

    return SQLiteStore(url, **options)
