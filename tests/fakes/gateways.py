"""Send through ``Gateway`` or ``AsyncGateway`` over real HTTP, the same way in both.

The ``gateway`` fixture is parametrized over ``sync`` and ``async``, each on its default
transport (pyreqwest, installed with the test extra) and on the mature one (urllib3, aiohttp);
its :meth:`Driver.send` waits nothing for real: retries' sleeps are recorded in
:attr:`Driver.sleeps`. The ``send`` fixture is the same for plain (non-async) tests:
``send(providers, message, **options)``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from smsgate import AsyncGateway, Gateway, Message, Provider, RetryPolicy, SendResult
from smsgate.transports import AiohttpTransport, Urllib3Transport

NO_JITTER = RetryPolicy(random=lambda: 1.0, base_delay=0.01)


@dataclass
class Driver:
    kind: str
    mature: bool = False  # urllib3 / aiohttp instead of the default transports
    sleeps: list[float] = field(default_factory=list)

    async def send(
        self,
        providers: Mapping[str, Any] | Sequence[Provider],
        message: Message,
        *,
        retry: RetryPolicy = NO_JITTER,
        **options: Any,
    ) -> SendResult:
        if self.mature:
            options.setdefault("transport", Urllib3Transport() if self.kind == "sync" else AiohttpTransport())
        if self.kind == "sync":
            with Gateway(providers, retry=retry, sleep=self.sleeps.append, **options) as gateway:
                return await asyncio.to_thread(gateway.send, message)

        async def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        async with AsyncGateway(providers, retry=retry, sleep=sleep, **options) as agateway:
            return await agateway.send(message)


DRIVERS = ["sync", "async", "sync-urllib3", "async-aiohttp"]


def driver(param: str) -> Driver:
    kind, _, mature = param.partition("-")
    return Driver(kind, mature=bool(mature))


@pytest.fixture(params=DRIVERS)
def gateway(request: pytest.FixtureRequest) -> Driver:
    return driver(request.param)


@pytest.fixture(params=DRIVERS)
def send(request: pytest.FixtureRequest) -> Callable[..., SendResult]:
    """``send(providers, message, **options)`` through either gateway, retries never sleeping."""

    def run(providers: Mapping[str, Any] | Sequence[Provider], message: Message, **options: Any) -> SendResult:
        options.setdefault("retry", RetryPolicy(base_delay=0, max_delay=0))
        return asyncio.run(driver(request.param).send(providers, message, **options))

    return run


def doc_examples(name: str) -> list[str]:
    """The ```python blocks of ``docs/<name>``, to run as they are written."""
    text = (Path(__file__).resolve().parents[2] / "docs" / name).read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
