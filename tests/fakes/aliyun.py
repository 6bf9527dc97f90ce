"""The ``aliyun_server`` fixture: a running :class:`AliyunFake` (see :mod:`smsgate.emulators.aliyun`)."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.aliyun import AliyunFake, Delivery, reference_rpc_signature, reference_v3_authorization

__all__ = ["AliyunFake", "Delivery", "aliyun_server", "reference_rpc_signature", "reference_v3_authorization"]


@pytest.fixture
def aliyun_server() -> Iterator[AliyunFake]:
    """A running :class:`AliyunFake` on 127.0.0.1; ``aliyun_server.settings()`` points a provider at it."""
    with serve(AliyunFake()) as emulator:
        yield emulator
