"""The ``plivo_emulator`` fixture: a running :class:`PlivoEmulator` (see :mod:`smsgate.emulators.plivo`)."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.plivo import AUTH_ID, AUTH_TOKEN, PlivoEmulator

__all__ = ["AUTH_ID", "AUTH_TOKEN", "PlivoEmulator", "plivo_emulator"]


@pytest.fixture
def plivo_emulator() -> Iterator[PlivoEmulator]:
    """A running :class:`PlivoEmulator` on 127.0.0.1; ``.settings()`` points a provider at it."""
    with serve(PlivoEmulator()) as emulator:
        yield emulator
