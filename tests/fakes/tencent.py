"""The ``tencent_fake`` fixture: a running :class:`TencentFake` (see :mod:`smsgate.emulators.tencent`)."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.tencent import SDK_APP_ID, SECRET_ID, SECRET_KEY, TencentFake, verify_tc3

__all__ = ["SDK_APP_ID", "SECRET_ID", "SECRET_KEY", "TencentFake", "tencent_fake", "verify_tc3"]


@pytest.fixture
def tencent_fake() -> Iterator[TencentFake]:
    """A running :class:`TencentFake` on 127.0.0.1; ``tencent_fake.settings()`` points a provider at it."""
    with serve(TencentFake()) as emulator:
        yield emulator
