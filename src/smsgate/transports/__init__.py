"""Transports: the only network I/O in smsgate."""

from .aiohttp import AiohttpTransport
from .base import AsyncTransport, Transport
from .defaults import default_async_transport, default_transport
from .mock import MockTransport
from .pyreqwest import PyreqwestSyncTransport, PyreqwestTransport  # imports pyreqwest only when built
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
