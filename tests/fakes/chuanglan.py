"""The ``chuanglan_emulator`` fixture: a running :class:`ChuanglanEmulator`."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.chuanglan import PASSWORD, ChuanglanEmulator

__all__ = ["PASSWORD", "ChuanglanEmulator", "chuanglan_emulator"]


@pytest.fixture
def chuanglan_emulator() -> Iterator[ChuanglanEmulator]:
    """A running :class:`ChuanglanEmulator` on 127.0.0.1; ``.settings()`` points a provider at it."""
    with serve(ChuanglanEmulator()) as emulator:
        yield emulator
