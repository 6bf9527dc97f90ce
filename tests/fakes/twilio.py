"""The ``twilio_fake`` fixture: a running :class:`FakeTwilio` (see :mod:`smsgate.emulators.twilio`)."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.twilio import ACCOUNT_SID, API_KEY_SECRET, API_KEY_SID, AUTH_TOKEN, FakeTwilio

__all__ = ["ACCOUNT_SID", "API_KEY_SECRET", "API_KEY_SID", "AUTH_TOKEN", "FakeTwilio", "twilio_fake"]


@pytest.fixture
def twilio_fake() -> Iterator[FakeTwilio]:
    """A running :class:`FakeTwilio` on 127.0.0.1; ``twilio_fake.settings()`` points a provider at it."""
    with serve(FakeTwilio()) as emulator:
        yield emulator
