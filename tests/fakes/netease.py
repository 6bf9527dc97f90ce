"""The ``netease_emulator`` fixture: a running :class:`NeteaseEmulator` (see :mod:`smsgate.emulators.netease`)."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.netease import APP_SECRET, NeteaseEmulator

__all__ = ["APP_SECRET", "NeteaseEmulator", "netease_emulator"]


@pytest.fixture
def netease_emulator() -> Iterator[NeteaseEmulator]:
    """A running :class:`NeteaseEmulator` on 127.0.0.1; ``.settings()`` points a provider at it."""
    with serve(NeteaseEmulator()) as emulator:
        yield emulator
