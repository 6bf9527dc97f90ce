"""Configuration from a TOML file and the environment.

    default_region = "CN"

    [providers.aliyun]                      # tried first
    access_key_id = "LTAI..."
    access_key_secret = "${ALIYUN_SECRET}"  # read from the environment

    [providers.backup]                      # any name; ``provider`` picks the type
    provider = "tencent"
    ...

Providers are tried in the order they appear. ``send_log = "path.sqlite3"`` records every message
and request in SQLite. ``${NAME}`` in a string is replaced by the environment variable ``NAME``;
``SMSGATE_PROVIDERS__<NAME>__<FIELD>`` overrides one setting. With no file, the embedded default
sends to the ``console`` sink and logs to ``smsgate.sqlite3``: nothing needs a cloud account.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._errors import ConfigError
from ._gateway import AsyncGateway, Gateway
from ._phone import DEFAULT_REGION
from .providers.base import settings_problems

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

__all__ = ["Config", "load_config"]

ENV_FILE = "SMSGATE_CONFIG"
ENV_PREFIX = "SMSGATE_PROVIDERS__"
DEFAULT_FILE = "smsgate.toml"
DEFAULT_LOG = "smsgate.sqlite3"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _embedded_default() -> dict[str, dict[str, Any]]:
    return {"console": {}}


class Config(BaseModel):
    """What a config file holds. ``providers`` maps a name to its settings, in order of preference."""

    model_config = ConfigDict(extra="forbid")

    default_region: str = DEFAULT_REGION
    providers: dict[str, dict[str, Any]] = Field(default_factory=_embedded_default)
    send_log: str | None = Field(None, description="SQLite file recording every message and request")
    campaigns: dict[str, Any] = Field(default_factory=dict, description="[campaigns]: see smsgate.campaigns")
    source: str = Field("(embedded default)", exclude=True)

    def gateway(self, **options: Any) -> Gateway:
        """A :class:`Gateway` over the configured providers."""
        with self._naming_source():
            return Gateway(self.providers, **{**self._options(), **options})

    def async_gateway(self, **options: Any) -> AsyncGateway:
        """An :class:`AsyncGateway` over the configured providers."""
        with self._naming_source():
            return AsyncGateway(self.providers, **{**self._options(), **options})

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"default_region": self.default_region}
        if self.send_log:
            options["send_log"] = self.send_log
        return options

    @contextmanager
    def _naming_source(self) -> Iterator[None]:
        try:
            yield
        except ConfigError as exc:
            raise ConfigError([f"{self.source}: {p}" for p in exc.problems]) from None


def load_config(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Load ``path``, else ``$SMSGATE_CONFIG``, else ``./smsgate.toml`` if present, else the default.

    Raises :class:`ConfigError` naming the file and every bad field.
    """
    env = os.environ if environ is None else environ
    chosen = path or env.get(ENV_FILE) or (DEFAULT_FILE if Path(DEFAULT_FILE).is_file() else None)
    data: dict[str, Any] = {"send_log": DEFAULT_LOG}
    source = "(embedded default)"
    if chosen:
        source = str(chosen)
        data = _read_toml(Path(chosen))
    data = _interpolate(data, env, source, ())
    _overlay(data, env)
    if not data["providers"]:
        data["providers"] = {"console": {}}
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(settings_problems(exc, source)) from None
    config.source = source
    return config


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as src:
            data: dict[str, Any] = tomllib.load(src)
            return data
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _interpolate(value: Any, env: Mapping[str, str], source: str, where: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return {k: _interpolate(v, env, source, (*where, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, env, source, where) for v in value]
    if not isinstance(value, str):
        return value

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise ConfigError(f"{source}: {'.'.join(where)}: environment variable {name} is not set")
        return env[name]

    return _VAR.sub(lookup, value)


def _overlay(data: dict[str, Any], env: Mapping[str, str]) -> None:
    providers = data.setdefault("providers", {})
    for key, value in env.items():
        if not key.startswith(ENV_PREFIX):
            continue
        parts = key[len(ENV_PREFIX) :].lower().split("__")
        if len(parts) != 2 or not all(parts):
            raise ConfigError(f"environment: {key}: expected {ENV_PREFIX}<PROVIDER>__<SETTING>")
        alias, field = parts
        if not isinstance(providers.get(alias, {}), dict):
            raise ConfigError(f"environment: {key}: providers.{alias} is not a table")
        providers.setdefault(alias, {})[field] = value
