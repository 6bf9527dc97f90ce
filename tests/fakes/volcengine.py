"""The ``volcengine_emulator`` fixture: a running :class:`VolcengineEmulator`
(see :mod:`smsgate.emulators.volcengine`)."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.volcengine import SECRET_KEY, VolcengineEmulator

__all__ = ["SECRET_KEY", "VolcengineEmulator", "volcengine_emulator"]


@pytest.fixture
def volcengine_emulator() -> Iterator[VolcengineEmulator]:
    """A running :class:`VolcengineEmulator` on 127.0.0.1; ``.settings()`` points a provider at it."""
    with serve(VolcengineEmulator()) as emulator:
        yield emulator
