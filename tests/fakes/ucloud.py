"""The ``ucloud_emulator`` fixture: a running :class:`UCloudEmulator` (see :mod:`smsgate.emulators.ucloud`)."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.ucloud import PRIVATE_KEY, UCloudEmulator

__all__ = ["PRIVATE_KEY", "UCloudEmulator", "ucloud_emulator"]


@pytest.fixture
def ucloud_emulator() -> Iterator[UCloudEmulator]:
    """A running :class:`UCloudEmulator` on 127.0.0.1; ``.settings()`` points a provider at it."""
    with serve(UCloudEmulator()) as emulator:
        yield emulator
