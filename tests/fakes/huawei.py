"""The ``huawei_fake`` fixture: a running :class:`HuaweiFake` (see :mod:`smsgate.emulators.huawei`)."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.huawei import APP_KEY, APP_SECRET, SENDER, HuaweiFake, check_aksk, check_wsse

__all__ = ["APP_KEY", "APP_SECRET", "SENDER", "HuaweiFake", "check_aksk", "check_wsse", "huawei_fake"]


@pytest.fixture
def huawei_fake() -> Iterator[HuaweiFake]:
    """A running :class:`HuaweiFake` on 127.0.0.1; ``huawei_fake.settings()`` points a provider at it."""
    with serve(HuaweiFake()) as emulator:
        yield emulator
