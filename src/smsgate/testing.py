"""Helpers for testing code that sends SMS with smsgate.

    from smsgate.testing import memory_gateway

    def test_signup_sends_a_code():
        gateway = memory_gateway()
        signup(gateway, phone="13800138000")          # your code
        assert outbox_of(gateway).last.params["code"]

As a pytest plugin (``pytest_plugins = ["smsgate.testing"]``) it provides the fixtures
``sms_gateway`` (a :class:`~smsgate.Gateway` over a memory provider) and ``sms_outbox``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._gateway import AsyncGateway, Gateway
from ._retry import RetryPolicy
from .providers._outbox import Outbox, OutboxEntry
from .providers.memory import MemoryProvider

__all__ = ["MemoryProvider", "Outbox", "OutboxEntry", "memory_gateway", "outbox_of"]


def memory_gateway(*, asynchronous: bool = False, **options: Any) -> Any:
    """A gateway over one fresh :class:`MemoryProvider` named ``memory``; retries never sleep."""
    options.setdefault("retry", RetryPolicy(base_delay=0.0, max_delay=0.0))
    provider = MemoryProvider()
    if asynchronous:
        return AsyncGateway([provider], sleep=_no_async_sleep, **options)
    return Gateway([provider], sleep=lambda _: None, **options)


async def _no_async_sleep(_: float) -> None:
    return None


def outbox_of(gateway: Gateway | AsyncGateway, name: str = "memory") -> Outbox:
    """The live outbox of the memory provider ``name`` in ``gateway``."""
    provider = gateway.providers[name]
    if not isinstance(provider, MemoryProvider):
        raise TypeError(f"provider {name!r} is not a memory provider")
    return provider.outbox


try:
    import pytest
except ImportError:  # pragma: no cover - pytest is optional
    pass
else:

    @pytest.fixture
    def sms_gateway() -> Iterator[Gateway]:
        """A :class:`Gateway` over a fresh memory provider."""
        with memory_gateway() as gateway:
            yield gateway

    @pytest.fixture
    def sms_outbox(sms_gateway: Gateway) -> Outbox:
        """What ``sms_gateway`` delivered, live."""
        return outbox_of(sms_gateway)
