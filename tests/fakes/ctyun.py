"""The ``ctyun_emulator`` fixture: a running :class:`CtyunEmulator` (see :mod:`smsgate.emulators.ctyun`)."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.ctyun import SECRET_KEY, CtyunEmulator

__all__ = ["SECRET_KEY", "CtyunEmulator", "ctyun_emulator"]


@pytest.fixture
def ctyun_emulator() -> Iterator[CtyunEmulator]:
    """A running :class:`CtyunEmulator` on 127.0.0.1; ``.settings()`` points a provider at it."""
    with serve(CtyunEmulator()) as emulator:
        yield emulator
