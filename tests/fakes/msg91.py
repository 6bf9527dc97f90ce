"""The ``msg91_emulator`` fixture: a running :class:`Msg91Emulator` (see :mod:`smsgate.emulators.msg91`)."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.msg91 import AUTHKEY, Msg91Emulator

__all__ = ["AUTHKEY", "Msg91Emulator", "msg91_emulator"]


@pytest.fixture
def msg91_emulator() -> Iterator[Msg91Emulator]:
    """A running :class:`Msg91Emulator` on 127.0.0.1; ``.settings()`` points a provider at it."""
    with serve(Msg91Emulator()) as emulator:
        yield emulator
