"""The ``messagebird_emulator`` fixture: a running :class:`MessageBirdEmulator`."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.messagebird import ACCESS_KEY, MessageBirdEmulator

__all__ = ["ACCESS_KEY", "MessageBirdEmulator", "messagebird_emulator"]


@pytest.fixture
def messagebird_emulator() -> Iterator[MessageBirdEmulator]:
    """A running :class:`MessageBirdEmulator` on 127.0.0.1; ``.settings()`` points a provider at it."""
    with serve(MessageBirdEmulator()) as emulator:
        yield emulator
