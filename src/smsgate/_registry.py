"""Finding providers: every provider, built-in or third-party, is an entry point."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any

from ._errors import ConfigError
from .providers.base import Provider

__all__ = ["ProviderSpec", "available_providers", "build_providers", "provider_class"]

GROUP = "smsgate.providers"

ProviderSpec = Provider | Mapping[str, Any]


@lru_cache(maxsize=1)
def _entry_points() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def available_providers() -> list[str]:
    """Names of the installed providers, sorted."""
    return sorted(_entry_points())


def provider_class(name: str) -> type[Provider]:
    """The provider class registered under ``name`` in the ``smsgate.providers`` group."""
    ep = _entry_points().get(name)
    if ep is None:
        known = ", ".join(available_providers()) or "none"
        raise ConfigError(f"unknown provider {name!r} (installed: {known})")
    cls = ep.load()
    if not (isinstance(cls, type) and issubclass(cls, Provider)):
        raise ConfigError(f"entry point {name!r} does not name a Provider subclass")
    return cls


def build_provider(alias: str, spec: ProviderSpec) -> Provider:
    """A provider from an instance, or from settings (``provider`` picks the type; default: ``alias``)."""
    if isinstance(spec, Provider):
        spec.alias = alias
        return spec
    if not isinstance(spec, Mapping):
        raise ConfigError(f"provider {alias!r}: expected a settings table or a Provider, got {type(spec).__name__}")
    settings = dict(spec)
    kind = settings.pop("provider", alias)
    return provider_class(str(kind))(settings, alias=alias)


def build_providers(providers: Mapping[str, ProviderSpec] | Sequence[Provider]) -> dict[str, Provider]:
    """Named providers from a mapping of name to spec, or from a list of provider instances."""
    items = list(providers.items()) if isinstance(providers, Mapping) else [(p.alias, p) for p in providers]
    if not items:
        raise ConfigError("no providers configured")
    built: dict[str, Provider] = {}
    problems: list[str] = []
    for alias, spec in items:
        try:
            built[alias] = build_provider(alias, spec)
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return built
