"""The ``baidu_emulator`` fixture: a running :class:`BaiduEmulator` (see :mod:`smsgate.emulators.baidu`)."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.baidu import SECRET_KEY, BaiduEmulator

__all__ = ["SECRET_KEY", "BaiduEmulator", "baidu_emulator"]


@pytest.fixture
def baidu_emulator() -> Iterator[BaiduEmulator]:
    """A running :class:`BaiduEmulator` on 127.0.0.1; ``.settings()`` points a provider at it."""
    with serve(BaiduEmulator()) as emulator:
        yield emulator
