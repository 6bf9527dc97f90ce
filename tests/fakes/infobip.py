"""The ``infobip_emulator`` fixture: a running :class:`InfobipEmulator` (see :mod:`smsgate.emulators.infobip`)."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.infobip import API_KEY, InfobipEmulator

__all__ = ["API_KEY", "InfobipEmulator", "infobip_emulator"]


@pytest.fixture
def infobip_emulator() -> Iterator[InfobipEmulator]:
    """A running :class:`InfobipEmulator` on 127.0.0.1; ``.settings()`` points a provider at it."""
    with serve(InfobipEmulator()) as emulator:
        yield emulator
