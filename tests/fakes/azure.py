"""The ``azure_emulator`` fixture: a running :class:`AzureEmulator` (see :mod:`smsgate.emulators.azure`)."""

from collections.abc import Iterator

import pytest

from smsgate.emulators import serve
from smsgate.emulators.azure import ACCESS_KEY, AzureEmulator

__all__ = ["ACCESS_KEY", "AzureEmulator", "azure_emulator"]


@pytest.fixture
def azure_emulator() -> Iterator[AzureEmulator]:
    """A running :class:`AzureEmulator` on 127.0.0.1; ``.settings()`` points a provider at it."""
    with serve(AzureEmulator()) as emulator:
        yield emulator
