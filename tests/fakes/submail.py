"""The ``submail_emulator`` fixture: a running :class:`SubmailEmulator`."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.submail import APPKEY, SubmailEmulator

__all__ = ["APPKEY", "SubmailEmulator", "submail_emulator"]


@pytest.fixture
def submail_emulator() -> Iterator[SubmailEmulator]:
    """A running :class:`SubmailEmulator` on 127.0.0.1; ``.settings()`` points a provider at it."""
    with serve(SubmailEmulator()) as emulator:
        yield emulator
