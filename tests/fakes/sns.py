"""The ``sns_fake`` fixture: a running :class:`FakeSns` (see :mod:`smsgate.emulators.sns`)."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.sns import ACCESS_KEY, REGION, SECRET_KEY, FakeSns

__all__ = ["ACCESS_KEY", "REGION", "SECRET_KEY", "FakeSns", "sns_fake"]


@pytest.fixture
def sns_fake() -> Iterator[FakeSns]:
    """A running :class:`FakeSns` on 127.0.0.1; ``sns_fake.settings()`` points a provider at it."""
    with serve(FakeSns()) as emulator:
        yield emulator
