"""Verification codes: send one-time codes through any provider and check them safely.

``Verifier`` / ``AsyncVerifier`` over a gateway and a store; see ``docs/verification.md``.
"""

from __future__ import annotations

from ._keys import ENV_KEYS, KeyRing
from ._model import Budget, Verification, VerificationFailed, VerificationStatus, VerifyPolicy
from ._stats import PurposeStats
from ._verifier import AsyncVerifier, Verifier

__all__ = [
    "ENV_KEYS",
    "AsyncVerifier",
    "Budget",
    "KeyRing",
    "PurposeStats",
    "Verification",
    "VerificationFailed",
    "VerificationStatus",
    "Verifier",
    "VerifyPolicy",
]
