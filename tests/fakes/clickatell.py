"""The ``clickatell_emulator`` fixture: a running :class:`ClickatellEmulator`."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.clickatell import API_KEY, ClickatellEmulator

__all__ = ["API_KEY", "ClickatellEmulator", "clickatell_emulator"]


@pytest.fixture
def clickatell_emulator() -> Iterator[ClickatellEmulator]:
    """A running :class:`ClickatellEmulator` on 127.0.0.1; ``.settings()`` points a provider at it."""
    with serve(ClickatellEmulator()) as emulator:
        yield emulator
