"""moto's SNS emulator in server mode, on 127.0.0.1, for the whole test session.

``ThreadedMotoServer`` runs in this process, so what it recorded is read straight from moto's
backend (``sms_messages``: message id → (phone, text)). moto neither verifies SigV4 nor
throttles; :mod:`tests.fakes.sns` covers those.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

REGION = "eu-west-1"


@dataclass
class MotoSns:
    endpoint: str
    region: str = REGION

    def _backend(self) -> object:
        from moto.core.models import DEFAULT_ACCOUNT_ID
        from moto.sns.models import sns_backends

        return sns_backends[DEFAULT_ACCOUNT_ID][self.region]

    @property
    def sms(self) -> dict[str, tuple[str, str]]:
        """What moto accepted: message id → (phone, text), in order."""
        return dict(self._backend().sms_messages)  # type: ignore[attr-defined]

    def reset(self) -> None:
        self._backend().sms_messages.clear()  # type: ignore[attr-defined]

    def settings(self, **overrides: str) -> dict[str, str]:
        base = {
            "access_key_id": "AKIAIOSFODNN7EXAMPLE",
            "secret_access_key": "moto-does-not-check-this",
            "region": self.region,
            "endpoint": self.endpoint,
        }
        return {**base, **overrides}


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """``http://127.0.0.1:<port>`` of a moto server shared by the session."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def moto_sns(moto_server: str) -> MotoSns:
    """moto's SNS with an empty SMS log."""
    sns = MotoSns(moto_server)
    sns.reset()
    return sns
