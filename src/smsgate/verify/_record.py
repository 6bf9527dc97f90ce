"""What a verification keeps in the store, and the keys it keeps it under.

Only primitives of the store contract are used, so every store works unchanged:

* ``verify:<id>``: the record (JSON): phone, purpose, key id, seed, digest, expiry, the message;
* ``verify:<id>:done``: the terminal status, written with ``add`` so only the first one wins;
* ``verify:<id>:checks`` and ``:sends``: counters that ``hit`` never lets past their limit;
* ``verify:<id>:cool``: the resend cooldown, claimed with ``add``; ``:sent``: the last send's outcome;
* ``verify:live:<purpose>:<phone>``: the id of the newest verification; older ones are canceled.

With a ``namespace`` (a tenant), every key is ``verify:<namespace>:…`` instead.

Every key expires ``retention`` seconds after the verification does: finished ones are purged.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from typing import Any

from .._errors import InvalidRequest

__all__ = ["ID", "Record", "checked_purpose"]

_PURPOSE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
ID = re.compile(r"[A-Za-z0-9_\-]{16,64}")
"""What a verification id looks like (``secrets.token_urlsafe``); anything else is unknown at once."""


def checked_purpose(purpose: object) -> str:
    if not isinstance(purpose, str) or not _PURPOSE.fullmatch(purpose):
        raise InvalidRequest("purpose must be 1–64 letters, digits, '_', '.' or '-'", field="purpose")
    return purpose


@dataclass(slots=True)
class Record:
    """A verification's fixed part. ``seed`` (what the code is drawn from) is dropped once it is finished."""

    phone: str
    purpose: str
    key_id: str
    seed: str
    digest: str
    digits: int
    created_at: float
    expires_at: float
    retention: float
    message: dict[str, Any] = field(default_factory=dict)

    def life(self, now: float) -> float:
        """Seconds from ``now`` until every key of this verification is purged."""
        return max(1.0, self.expires_at + self.retention - now)

    def dumps(self) -> str:
        data = {name: getattr(self, name) for name in _FIELDS}
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def loads(cls, text: str | None) -> Record | None:
        if text is None:
            return None
        return cls(**json.loads(text))


_FIELDS = tuple(f.name for f in fields(Record))
