"""The ``telnyx_emulator`` fixture: a running :class:`TelnyxEmulator` (see :mod:`smsgate.emulators.telnyx`)."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.telnyx import API_KEY, TelnyxEmulator

__all__ = ["API_KEY", "TelnyxEmulator", "telnyx_emulator"]


@pytest.fixture
def telnyx_emulator() -> Iterator[TelnyxEmulator]:
    """A running :class:`TelnyxEmulator` on 127.0.0.1; ``.settings()`` points a provider at it."""
    with serve(TelnyxEmulator()) as emulator:
        yield emulator
