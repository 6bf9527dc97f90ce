"""The ``[campaigns]`` table of the config file: who runs campaigns, and in what sizes.

    store = "redis://127.0.0.1:6379/0"    # top level: the state every process shares (campaigns too)
    [limits]                              # top level: per-phone limits, counted per campaign row
    per_day = 10

    [campaigns]
    broker = "redis://127.0.0.1:6379/1"   # Celery broker; none: campaigns run in the sending process
    chunk_size = 1000                     # rows per chunk (one Celery task)
    settle_after = 60                     # seconds before a lost run's batches are looked up

Campaigns keep their state in ``store``; with the default ``memory`` store, in the send log's
SQLite file instead (``smsgate.sqlite3``), so that a campaign outlives its process.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .._config import DEFAULT_LOG, Config, open_store
from .._errors import ConfigError
from .._gateway import AsyncGateway, Gateway
from ..policy.limits import PhoneLimits
from ..providers.base import settings_problems
from ..stores.base import Store

__all__ = ["CampaignSettings", "open_store"]


class CampaignSettings(BaseModel):
    """Validated ``[campaigns]`` settings; ``CampaignSettings.of(config)``."""

    model_config = ConfigDict(extra="forbid")

    broker: str | None = Field(None, description="Celery broker URL (redis://, amqp://); none: in-process")
    chunk_size: int = Field(1000, ge=1, le=100_000)
    batch_size: int = Field(100, ge=1, le=1000, description="rows per message")
    concurrency: int = Field(8, ge=1, le=1024, description="batches in flight per process")
    lease: float = Field(60.0, gt=0, description="seconds a chunk stays with a silent run before another takes it")
    settle_after: float = Field(
        60.0, ge=0, description="seconds a batch found claimed by a lost run waits before it is looked up"
    )
    uploads: str | None = Field(None, description="where the service keeps uploaded sources")

    @classmethod
    def of(cls, config: Config) -> CampaignSettings:
        try:
            return cls.model_validate(config.campaigns)
        except ValidationError as exc:
            raise ConfigError(settings_problems(exc, f"{config.source}: [campaigns]")) from None

    @staticmethod
    def store_url(config: Config) -> str:
        """``store``, or with the default memory store the send log's SQLite file."""
        if config.store != "memory":
            return config.store
        if config.send_log and "://" not in config.send_log:
            return config.send_log
        return DEFAULT_LOG

    def open_store(self, config: Config) -> Store:
        return open_store(self.store_url(config))

    @staticmethod
    def limits(config: Config) -> PhoneLimits | None:
        """``[limits]``, counted per row by campaigns (never by the gateway: it would count a whole batch)."""
        return None if config.limits is None else PhoneLimits(**dict(config.limits))

    def gateway(self, config: Config, store: Store, **options: Any) -> Gateway:
        """The configured gateway on ``store``, its per-phone limits left to the campaign."""
        return Gateway(config.providers, **_options(config, store, options))

    def async_gateway(self, config: Config, store: Store, **options: Any) -> AsyncGateway:
        """The asyncio twin of :meth:`gateway`."""
        return AsyncGateway(config.providers, **_options(config, store, options))


def _options(config: Config, store: Store, options: dict[str, Any]) -> dict[str, Any]:
    configured = config.model_copy(update={"store": "memory"}).gateway_options()  # not a second store
    return {**configured, "store": store, "limits": None, **options}
