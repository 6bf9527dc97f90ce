"""API keys: ``sgk_<id>_<secret>``, shown once; the store keeps only the secret's SHA-256.

The secret is 256 random bits, so an unkeyed hash is enough (nothing to brute-force). A key is
looked up by its public ``id`` and its hash compared in constant time. Records live in the
configured store under ``apikey:<id>``; ``apikeys:count`` and ``apikeys:<n>`` list them in the
order they were made, using only the store's ``incr``/``set``/``get_many``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from .._errors import InvalidRequest
from ..stores.base import Store

__all__ = ["SCOPES", "ApiKey", "ApiKeys", "NewKey"]

SCOPES = ("send", "verify", "read", "admin")
_TOKEN = re.compile(r"sgk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")
_TENANT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_DUMMY = hashlib.sha256(b"no such key").hexdigest()


@dataclass(frozen=True)
class ApiKey:
    """A key as stored: never the secret, only its hash."""

    id: str
    tenant: str
    scopes: tuple[str, ...]
    hash: str = field(repr=False)
    created_at: float
    rate: int | None = None  # requests per minute; None for no limit
    revoked_at: float | None = None

    @property
    def prefix(self) -> str:
        """What identifies the key in listings and logs: ``sgk_<id>``."""
        return f"sgk_{self.id}"

    def allows(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "scopes": list(self.scopes)}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ApiKey:
        data = json.loads(text)
        data["scopes"] = tuple(data["scopes"])
        return cls(**data)


@dataclass(frozen=True)
class NewKey:
    """A key just made: ``token`` is the only copy of the secret."""

    key: ApiKey
    token: str = field(repr=False)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _checked_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(s.strip() for s in scopes if s.strip()))
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown or not chosen:
        raise InvalidRequest(
            f"scopes must be some of {', '.join(SCOPES)}; got {', '.join(unknown) or 'none'}", field="scope"
        )
    return chosen


class ApiKeys:
    """Makes, checks, lists and revokes API keys in ``store`` (sync for the CLI, async for the service)."""

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    def create(
        self, tenant: str, scopes: Iterable[str] = ("send", "verify", "read"), rate: int | None = None
    ) -> NewKey:
        """A new key for ``tenant``; raises :class:`InvalidRequest` naming a bad tenant, scope or rate."""
        if not _TENANT.fullmatch(tenant):
            raise InvalidRequest(
                "a tenant is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", field="tenant"
            )
        if rate is not None and rate < 1:
            raise InvalidRequest("rate must be at least 1 request a minute", field="rate")
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        key = ApiKey(key_id, tenant, _checked_scopes(scopes), _hash(secret), self.clock(), rate)
        if self.store.add(f"apikey:{key_id}", key.to_json()) is not None:  # 48 random bits: never in practice
            return self.create(tenant, scopes, rate)
        number = self.store.incr("apikeys:count")
        self.store.set(f"apikeys:{number}", key_id)
        return NewKey(key, f"sgk_{key_id}_{secret}")

    def list(self) -> list[ApiKey]:
        """Every key, oldest first (revoked ones too)."""
        count = int(self.store.get("apikeys:count") or 0)
        ids = [i for i in self.store.get_many([f"apikeys:{n}" for n in range(1, count + 1)]) if i]
        records = self.store.get_many([f"apikey:{i}" for i in ids])
        return [ApiKey.from_json(r) for r in records if r]

    def revoke(self, key: str) -> ApiKey:
        """Revoke a key by its id, prefix (``sgk_<id>``) or whole token; raises if there is none such."""
        key_id = key.removeprefix("sgk_").split("_")[0]
        found = self.store.get(f"apikey:{key_id}") if re.fullmatch(r"[0-9a-f]{12}", key_id) else None
        if found is None:
            raise InvalidRequest(f"no key {key[:16]!r}", field="key")
        record = ApiKey.from_json(found)
        if record.revoked_at is None:
            record = ApiKey(**{**asdict(record), "revoked_at": self.clock()})
            self.store.set(f"apikey:{key_id}", record.to_json())
        return record

    async def acheck(self, token: str) -> ApiKey | None:
        """The live key that ``token`` is, else ``None`` (unknown, wrong secret, malformed or revoked)."""
        match = _TOKEN.fullmatch(token)
        if match is None:
            return None
        key_id, secret = match.groups()
        found = await self.store.aget(f"apikey:{key_id}")
        record = ApiKey.from_json(found) if found else None
        if not hmac.compare_digest(record.hash if record else _DUMMY, _hash(secret)) or record is None:
            return None
        return record if record.revoked_at is None else None
