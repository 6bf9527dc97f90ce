"""The ``yunpian_emulator`` fixture: a running :class:`YunpianEmulator` (see :mod:`smsgate.emulators.yunpian`)."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.yunpian import APIKEY, YunpianEmulator

__all__ = ["APIKEY", "YunpianEmulator", "yunpian_emulator"]


@pytest.fixture
def yunpian_emulator() -> Iterator[YunpianEmulator]:
    """A running :class:`YunpianEmulator` on 127.0.0.1; ``.settings()`` points a provider at it."""
    with serve(YunpianEmulator()) as emulator:
        yield emulator
