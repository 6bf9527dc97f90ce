"""The ``qiniu_emulator`` fixture: a running :class:`QiniuEmulator` (see :mod:`smsgate.emulators.qiniu`)."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.qiniu import SECRET_KEY, QiniuEmulator

__all__ = ["SECRET_KEY", "QiniuEmulator", "qiniu_emulator"]


@pytest.fixture
def qiniu_emulator() -> Iterator[QiniuEmulator]:
    """A running :class:`QiniuEmulator` on 127.0.0.1; ``.settings()`` points a provider at it."""
    with serve(QiniuEmulator()) as emulator:
        yield emulator
