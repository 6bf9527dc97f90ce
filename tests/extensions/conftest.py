import pytest

from smsgate.extensions._endpoints import ENV_ALLOW


@pytest.fixture(autouse=True)
def emulators_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator of these tests allows the loopback address the fake providers listen on."""
    monkeypatch.setenv(ENV_ALLOW, "127.0.0.1")
