"""The ``jdcloud_emulator`` fixture: a running :class:`JdCloudEmulator` (see :mod:`smsgate.emulators.jdcloud`)."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.jdcloud import SECRET_KEY, JdCloudEmulator

__all__ = ["SECRET_KEY", "JdCloudEmulator", "jdcloud_emulator"]


@pytest.fixture
def jdcloud_emulator() -> Iterator[JdCloudEmulator]:
    """A running :class:`JdCloudEmulator` on 127.0.0.1; ``.settings()`` points a provider at it."""
    with serve(JdCloudEmulator()) as emulator:
        yield emulator
