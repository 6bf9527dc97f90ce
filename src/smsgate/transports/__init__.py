"""Transports: the only network I/O in smsgate."""

from .aiohttp import AiohttpTransport
from .base import AsyncTransport, Transport
from .mock import MockTransport
from .urllib3 import Urllib3Transport

__all__ = ["AiohttpTransport", "AsyncTransport", "MockTransport", "Transport", "Urllib3Transport"]
