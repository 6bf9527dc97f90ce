"""Volcengine's request signature: a SigV4-shaped HMAC-SHA256 chain, service ``volcSMS``."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote

__all__ = ["volcengine_authorization"]


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def volcengine_authorization(
    access_key: str,
    secret_key: str,
    *,
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes,
    x_date: str,
    region: str,
    service: str = "volcSMS",
) -> str:
    """The ``Authorization`` header, every header of ``headers`` signed (``X-Content-Sha256`` among them)."""
    lowered = {k.lower(): v.strip() for k, v in headers.items()}
    names = sorted(lowered)
    canonical_query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items()))
    canonical = "\n".join(
        [method, quote(path, safe="/-_.~"), canonical_query, "".join(f"{n}:{lowered[n]}\n" for n in names),
         ";".join(names), hashlib.sha256(body).hexdigest()]
    )  # fmt: skip
    scope = f"{x_date[:8]}/{region}/{service}/request"
    to_sign = f"HMAC-SHA256\n{x_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = _hmac(_hmac(_hmac(_hmac(secret_key.encode(), x_date[:8]), region), service), "request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={';'.join(names)}, Signature={signature}"
