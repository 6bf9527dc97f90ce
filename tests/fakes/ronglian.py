"""The ``ronglian_emulator`` fixture: a running :class:`RonglianEmulator`."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.ronglian import AUTH_TOKEN, RonglianEmulator

__all__ = ["AUTH_TOKEN", "RonglianEmulator", "ronglian_emulator"]


@pytest.fixture
def ronglian_emulator() -> Iterator[RonglianEmulator]:
    """A running :class:`RonglianEmulator` on 127.0.0.1; ``.settings()`` points a provider at it."""
    with serve(RonglianEmulator()) as emulator:
        yield emulator
