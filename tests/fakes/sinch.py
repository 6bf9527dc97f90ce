"""The ``sinch_emulator`` fixture: a running :class:`SinchEmulator` (see :mod:`smsgate.emulators.sinch`)."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.sinch import API_TOKEN, SinchEmulator

__all__ = ["API_TOKEN", "SinchEmulator", "sinch_emulator"]


@pytest.fixture
def sinch_emulator() -> Iterator[SinchEmulator]:
    """A running :class:`SinchEmulator` on 127.0.0.1; ``.settings()`` points a provider at it."""
    with serve(SinchEmulator()) as emulator:
        yield emulator
