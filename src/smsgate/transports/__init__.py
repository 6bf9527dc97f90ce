"""Transports: the only network I/O in smsgate. Each client library is imported when its transport is."""

from typing import TYPE_CHECKING, Any

from .base import AsyncTransport, Transport
from .defaults import default_async_transport, default_transport
from .mock import MockTransport
from .pyreqwest import PyreqwestSyncTransport, PyreqwestTransport  # imports pyreqwest only when built

if TYPE_CHECKING:
    from .aiohttp import AiohttpTransport
    from .urllib3 import Urllib3Transport

__all__ = [
    "AiohttpTransport",
    "AsyncTransport",
    "MockTransport",
    "PyreqwestSyncTransport",
    "PyreqwestTransport",
    "Transport",
    "Urllib3Transport",
    "default_async_transport",
    "default_transport",
]


def __getattr__(name: str) -> Any:
    if name == "AiohttpTransport":
        from .aiohttp import AiohttpTransport

        return AiohttpTransport
    if name == "Urllib3Transport":
        from .urllib3 import Urllib3Transport

        return Urllib3Transport
    raise AttributeError(f"module 'smsgate.transports' has no attribute {name!r}")
