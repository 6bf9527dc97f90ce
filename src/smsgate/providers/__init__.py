"""Providers: one vendor per module, plus development sinks (console, file, memory)."""

from .base import LocalProvider, Provider, ProviderSettings, Settings

__all__ = ["LocalProvider", "Provider", "ProviderSettings", "Settings"]
