"""The ``bandwidth_emulator`` fixture: a running :class:`BandwidthEmulator` (see :mod:`smsgate.emulators.bandwidth`)."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.bandwidth import PASSWORD, BandwidthEmulator

__all__ = ["PASSWORD", "BandwidthEmulator", "bandwidth_emulator"]


@pytest.fixture
def bandwidth_emulator() -> Iterator[BandwidthEmulator]:
    """A running :class:`BandwidthEmulator` on 127.0.0.1; ``.settings()`` points a provider at it."""
    with serve(BandwidthEmulator()) as emulator:
        yield emulator
