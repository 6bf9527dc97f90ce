"""Fixtures for receipt tests: the SNS signer, and a send log that records reports."""

from __future__ import annotations

import pytest

from smsgate import MemoryStore
from tests.fakes.receipts import sns_signer

__all__ = ["send_log", "sns_signer"]


@pytest.fixture
def send_log() -> MemoryStore:
    return MemoryStore()
