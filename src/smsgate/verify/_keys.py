"""Server keys: what codes are drawn from and hashed with, with a key id for rotation.

A code is never stored. It is drawn with HMAC-SHA256 under the current key from 128 bits of
``secrets`` kept in the record (a keyed CSPRNG, so a resend can send the *same* code), and the
record keeps only ``HMAC-SHA256(key, "check" ‖ id ‖ phone ‖ purpose ‖ code)`` with the key's id.
Rotating adds a new current key; older keys stay to check the verifications they started.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Mapping

from pydantic import SecretStr

from .._errors import ConfigError

__all__ = ["ENV_KEYS", "KeyRing"]

ENV_KEYS = "SMSGATE_VERIFY_KEYS"
"""``id:secret[,id:secret…]``, the current key first: the keys when none are passed."""

_MIN_BYTES = 32


class KeyRing:
    """Named server keys; the first is current. ``KeyRing({"2": new, "1": old})``."""

    def __init__(self, keys: Mapping[str, str | bytes | SecretStr]) -> None:
        if not keys:
            raise ConfigError("verify keys: at least one key is required")
        self._keys: dict[str, bytes] = {}
        problems = []
        for key_id, secret in keys.items():
            raw = _raw(secret)
            if not key_id or ":" in key_id or "," in key_id:
                problems.append(f"verify keys: key id {key_id!r} must be non-empty, without ':' or ','")
            elif len(raw) < _MIN_BYTES:
                problems.append(f"verify keys: key {key_id!r} is shorter than {_MIN_BYTES} bytes")
            self._keys[key_id] = raw
        if problems:
            raise ConfigError(problems)
        self.current = next(iter(self._keys))

    def __repr__(self) -> str:  # never the secrets
        return f"KeyRing(current={self.current!r}, ids={list(self._keys)})"

    @property
    def ids(self) -> list[str]:
        return list(self._keys)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> KeyRing:
        """The keys in ``$SMSGATE_VERIFY_KEYS``; :class:`~smsgate.ConfigError` naming it when unset or bad."""
        text = (os.environ if environ is None else environ).get(ENV_KEYS, "").strip()
        if not text:
            raise ConfigError(f"{ENV_KEYS} is not set: verification needs a server key (id:secret, 32+ bytes)")
        pairs: dict[str, str] = {}
        for item in text.split(","):
            key_id, sep, secret = item.strip().partition(":")
            if not sep:
                raise ConfigError(f"{ENV_KEYS}: each key is id:secret (item {len(pairs) + 1} has no ':')")
            pairs[key_id.strip()] = secret.strip()
        return cls(pairs)

    @classmethod
    def ephemeral(cls) -> KeyRing:
        """A random key for this process only (state that lives in this process: ``MemoryStore``)."""
        return cls({"ephemeral": secrets.token_bytes(_MIN_BYTES)})

    def has(self, key_id: str) -> bool:
        return key_id in self._keys

    def code(self, key_id: str, seed: bytes, digits: int) -> str:
        """The code for ``seed``: ``digits`` decimal digits, uniform to within 2**-200."""
        mac = hmac.new(self._keys[key_id], b"code\x00" + seed, hashlib.sha256).digest()
        return str(int.from_bytes(mac, "big") % 10**digits).zfill(digits)

    def digest(self, key_id: str, parts: Iterable[str]) -> bytes:
        """HMAC-SHA256 over ``parts``, each length-prefixed, so no two tuples collide."""
        mac = hmac.new(self._keys.get(key_id, _NO_KEY), b"check", hashlib.sha256)
        for part in parts:
            data = part.encode()
            mac.update(len(data).to_bytes(4, "big") + data)
        return mac.digest()


_NO_KEY = secrets.token_bytes(_MIN_BYTES)  # for unknown ids: the same work, a digest nothing matches


def _raw(secret: str | bytes | SecretStr) -> bytes:
    if isinstance(secret, SecretStr):
        secret = secret.get_secret_value()
    return secret.encode() if isinstance(secret, str) else bytes(secret)
