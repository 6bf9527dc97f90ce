"""Baidu Cloud's ``bce-auth-v1`` request signature (HMAC-SHA256 with a hex-string signing key)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from urllib.parse import quote

__all__ = ["bce_authorization"]


def _pct(text: str, safe: str = "-_.~") -> str:
    return quote(text, safe=safe)


def bce_authorization(
    access_key: str,
    secret_key: str,
    method: str,
    path: str,
    query: Mapping[str, str | None],
    headers: Mapping[str, str],
    signed: Sequence[str],
    timestamp: str,
    expiration: int = 1800,
) -> str:
    """The ``Authorization`` header: ``bce-auth-v1/{ak}/{timestamp}/{expiration}/{signed}/{signature}``.

    ``signed`` names the headers signed (lowercase); their values are percent-encoded in the
    canonical request, and empty ones are left out."""
    prefix = f"bce-auth-v1/{access_key}/{timestamp}/{expiration}"
    key = hmac.new(secret_key.encode(), prefix.encode(), hashlib.sha256).hexdigest()
    canonical_query = "&".join(sorted(f"{_pct(k)}={_pct(v or '')}" for k, v in query.items() if k != "authorization"))
    lowered = {k.lower().strip(): str(v).strip() for k, v in headers.items()}
    names = sorted(name.lower() for name in signed)
    canonical_headers = "\n".join(sorted(f"{_pct(n)}:{_pct(lowered[n])}" for n in names if lowered.get(n)))
    text = f"{method}\n{_pct(path, '/-_.~')}\n{canonical_query}\n{canonical_headers}"
    signature = hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()
    return f"{prefix}/{';'.join(names)}/{signature}"
