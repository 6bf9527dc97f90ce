"""Configuration from a TOML file and the environment, on pydantic-settings.

    default_region = "CN"
    send_log = "smsgate.sqlite3"            # the default; false turns it off
    store = "redis://127.0.0.1:6379/0"      # memory (default), an SQLite path, redis:// or postgresql://
    strategy = "in_order"                   # or random, round_robin, weighted (with [weights])

    [retry]                                 # RetryPolicy's fields
    max_attempts = 3

    [limits]                                # per phone
    per_day = 10

    [providers.aliyun]                      # tried first
    access_key_id = "LTAI..."
    access_key_secret = "${ALIYUN_SECRET}"  # read from the environment

    [providers.backup]                      # any name; ``provider`` picks the type
    provider = "tencent"

The environment beats the file: ``SMSGATE_DEFAULT_REGION``, ``SMSGATE_SEND_LOG``,
``SMSGATE_PROVIDERS__ALIYUN__ACCESS_KEY_SECRET`` (nested fields joined by ``__``). Relative paths in
a file are relative to its folder. With no file, the embedded default sends to the ``console`` sink
and logs to ``smsgate.sqlite3`` in the working directory: nothing needs a cloud account.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, ValidationInfo, field_validator

from ._config_sources import Loc, Origins, expand, read_env, read_toml, suggest, validation_problems
from ._errors import ConfigError
from ._gateway import AsyncGateway, Gateway, open_sqlite
from ._phone import DEFAULT_REGION
from ._registry import available_providers, provider_class
from ._retry import RetryPolicy
from .policy.limits import PhoneLimits, ProviderRate
from .stores.base import Store

__all__ = ["Config", "load_config"]

ENV_FILE = "SMSGATE_CONFIG"
DEFAULT_FILE = "smsgate.toml"
DEFAULT_LOG = "smsgate.sqlite3"
EMBEDDED = "(embedded default)"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RetrySettings(_Section):
    """``[retry]``: :class:`~smsgate.RetryPolicy` of each request at one provider."""

    max_attempts: int = Field(3, ge=1, le=100)
    base_delay: float = Field(0.5, ge=0, le=86400, allow_inf_nan=False)
    max_delay: float = Field(20.0, ge=0, le=86400, allow_inf_nan=False)
    deadline: float = Field(60.0, ge=0, le=86400, allow_inf_nan=False)
    retry_unknown: bool = False


class LimitsSettings(_Section):
    """``[limits]``: :class:`~smsgate.PhoneLimits`, messages per phone."""

    per_minute: int | None = Field(None, ge=0)
    per_hour: int | None = Field(None, ge=0)
    per_day: int | None = Field(None, ge=0)


class RateSettings(_Section):
    """``[rates.<provider>]``: :class:`~smsgate.ProviderRate`, requests per second to one provider."""

    rate: float = Field(gt=0, le=1e6, allow_inf_nan=False)
    burst: int = Field(1, ge=1)
    max_wait: float = Field(1.0, ge=0, le=86400, allow_inf_nan=False)


def _embedded_providers() -> dict[str, dict[str, Any]]:
    return {"console": {}}


class Config(BaseModel):
    """Validated configuration; :func:`load_config` reads it (the environment through
    pydantic-settings), :meth:`gateway` sends with it."""

    model_config = ConfigDict(extra="forbid")

    default_region: str = DEFAULT_REGION
    providers: dict[str, dict[str, Any]] = Field(default_factory=_embedded_providers)
    send_log: str | None = Field(DEFAULT_LOG, description="SQLite file (or store URL) recording every message")
    store: str = Field("memory", description="state for limits and idempotency: memory, a path, or a URL")
    strategy: Literal["in_order", "random", "round_robin", "weighted"] = "in_order"
    weights: dict[str, int] = Field(default_factory=dict, validate_default=True)
    retry: RetrySettings = Field(default_factory=RetrySettings)
    limits: LimitsSettings | None = None
    rates: dict[str, RateSettings] = Field(default_factory=dict)
    campaigns: dict[str, Any] = Field(default_factory=dict, description="[campaigns]: see smsgate.campaigns")
    receipts: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="[receipts.<provider>]: push settings (path_token…), see docs/receipts.md"
    )
    _source: str = PrivateAttr(EMBEDDED)

    @property
    def source(self) -> str:
        """The file this came from, or ``(embedded default)``."""
        return self._source

    @field_validator("default_region", mode="after")
    @classmethod
    def _known_region(cls, value: str) -> str:
        region = value.upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"not a region code{suggest(region, phonenumbers.SUPPORTED_REGIONS)}")
        return region

    @field_validator("weights", mode="after")
    @classmethod
    def _usable_weights(cls, value: dict[str, int], info: ValidationInfo) -> dict[str, int]:
        if any(weight < 0 for weight in value.values()):
            raise ValueError("weights must be whole numbers >= 0")
        if info.data.get("strategy") == "weighted" and not any(value.values()):
            raise ValueError("strategy 'weighted' needs at least one weight above 0")
        return value

    @field_validator("send_log", mode="before")
    @classmethod
    def _log_switch(cls, value: Any) -> Any:
        if value is False or value in ("", "off", "false"):
            return None
        return DEFAULT_LOG if value is True else value

    def gateway(self, **options: Any) -> Gateway:
        """A :class:`Gateway` over the configured providers (``options`` override the file's); it
        closes the stores it opened for this configuration when it is closed."""
        return _owning(Gateway, self, options)

    def async_gateway(self, **options: Any) -> AsyncGateway:
        """An :class:`AsyncGateway` over the configured providers (see :meth:`gateway`)."""
        return _owning(AsyncGateway, self, options)

    def gateway_options(self) -> dict[str, Any]:
        """The keyword arguments of :class:`Gateway` this configuration sets."""
        from . import strategies

        options: dict[str, Any] = {"default_region": self.default_region, "retry": RetryPolicy(**dict(self.retry))}
        if self.send_log:
            options["send_log"] = self.send_log if "://" not in self.send_log else open_store(self.send_log)
        if self.store != "memory":
            options["store"] = open_store(self.store)
        if self.strategy != "in_order":
            named = {"random": strategies.random_order, "round_robin": strategies.round_robin}
            chosen = strategies.weighted(self.weights) if self.strategy == "weighted" else named[self.strategy]()
            options["strategy"] = chosen
        if self.limits is not None:
            options["limits"] = PhoneLimits(**dict(self.limits))
        if self.rates:
            options["rates"] = {alias: ProviderRate(**dict(rate)) for alias, rate in self.rates.items()}
        return options


G = TypeVar("G", Gateway, AsyncGateway)


def _owning(cls: type[G], config: Config, options: dict[str, Any]) -> G:
    """``cls`` built from ``config`` and ``options``; the stores opened here close with it."""
    chosen = {**config.gateway_options(), **options}
    opened = [chosen[n] for n in ("store", "send_log") if n not in options and isinstance(chosen.get(n), Store)]
    gateway = cls(config.providers, **chosen)
    gateway._owned += [store for store in opened if store not in gateway._owned]
    return gateway


def open_store(url: str) -> Store:
    """A store from ``memory``, ``redis://…``, ``postgresql://…`` or the path of an SQLite file."""
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if url == "memory":
        from .stores.memory import MemoryStore

        return MemoryStore()
    if scheme in ("redis", "rediss", "unix"):
        from .stores.redis import RedisStore

        return RedisStore(url)
    if scheme in ("postgres", "postgresql"):
        try:
            module = importlib.import_module("smsgate.stores.postgres")
        except ImportError:
            raise ConfigError(f"store {scheme}://…: PostgreSQL stores are not available in this install") from None
        store: Store = module.PostgresStore(url)
        return store
    if scheme:
        raise ConfigError(f"store {scheme}://…: expected memory, a file path, redis:// or postgresql://")
    return open_sqlite(url, "store")


def load_config(
    path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None, *, providers: bool = True
) -> Config:
    """Load ``path``, else ``$SMSGATE_CONFIG``, else ``./smsgate.toml`` if present, else the default;
    then the environment over it.

    Raises one :class:`ConfigError` listing every problem, each naming its file or environment
    variable and its field. ``providers=False`` leaves the providers unchecked (and their
    ``${VAR}`` unexpanded), for tools that only read the send log: no secrets needed.
    """
    env = os.environ if environ is None else environ
    chosen = path or env.get(ENV_FILE) or (DEFAULT_FILE if Path(DEFAULT_FILE).is_file() else None)
    source = str(chosen) if chosen else EMBEDDED
    data = read_toml(Path(chosen)) if chosen else {}
    from_env, variables = read_env(Config, env)
    origins = Origins(source, variables)
    merged = _merge(data, from_env)
    unset: list[tuple[Loc, str]] = []
    for key in list(merged):
        if key != "providers" or providers:
            merged[key] = expand(merged[key], env, (key,), unset)
    problems = [origins.problem(loc, text) for loc, text in unset]
    try:
        config = Config.model_validate(merged)
    except ValidationError as exc:
        config = None
        problems += validation_problems(exc, Config, origins, (), set())
    tables = config.providers if config is not None else merged.get("providers", {})
    if providers and isinstance(tables, dict) and all(isinstance(t, dict) for t in tables.values()):
        problems += _provider_problems(tables, origins, {loc for loc, _ in unset})
    if problems:
        raise ConfigError(problems)
    assert config is not None
    config._source = source
    if chosen:
        _relative_to(config, Path(chosen).parent, "send_log" in data, "store" in data)
    return config


def _provider_problems(providers: dict[str, Any], origins: Origins, skip: set[Loc]) -> list[str]:
    """Every problem of every provider's settings, at once (values already reported unset skipped)."""
    if not providers:
        return [origins.problem(("providers",), "no providers configured")]
    problems = []
    for alias, settings in providers.items():
        kind = str(settings.get("provider", alias))
        try:
            cls = provider_class(kind)
        except ConfigError:
            text = f"unknown provider {kind!r}{suggest(kind, available_providers())}"
            key = ("providers", alias, "provider") if "provider" in settings else ("providers", alias)
            problems.append(origins.problem(key, text))
            continue
        fields = {k: v for k, v in settings.items() if k != "provider"}
        try:
            cls.settings_model.model_validate(fields)
        except ValidationError as exc:
            problems += validation_problems(exc, cls.settings_model, origins, ("providers", alias), skip)
    return problems


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``over`` laid on it, tables merged key by key."""
    merged = dict(base)
    for key, value in over.items():
        below = merged.get(key)
        merged[key] = _merge(below, value) if isinstance(below, dict) and isinstance(value, Mapping) else value
    return merged


def _relative_to(config: Config, folder: Path, log_in_file: bool, store_in_file: bool) -> None:
    """Paths the file sets, or the default send log beside it, are relative to the file's folder."""
    if config.send_log and "://" not in config.send_log and (log_in_file or config.send_log == DEFAULT_LOG):
        config.send_log = str(folder / config.send_log)
    if store_in_file and config.store != "memory" and "://" not in config.store:
        config.store = str(folder / config.store)
