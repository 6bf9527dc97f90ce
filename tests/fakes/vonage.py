"""The ``vonage_fake`` fixture: a running :class:`FakeVonage` (see :mod:`smsgate.emulators.vonage`)."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.vonage import API_KEY, API_SECRET, FakeVonage, septets

__all__ = ["API_KEY", "API_SECRET", "FakeVonage", "septets", "vonage_fake"]


@pytest.fixture
def vonage_fake() -> Iterator[FakeVonage]:
    """A running :class:`FakeVonage` on 127.0.0.1; ``vonage_fake.settings()`` points a provider at it."""
    with serve(FakeVonage()) as emulator:
        yield emulator
