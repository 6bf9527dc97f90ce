"""SigV4-shaped HMAC-SHA256 request signatures, as Volcengine and JD Cloud sign (a key chain over
date, region, service and a terminator; every header given is signed)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from functools import partial
from urllib.parse import quote

__all__ = ["jdcloud_authorization", "sigv4_like_authorization", "volcengine_authorization"]


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sigv4_like_authorization(
    access_key: str,
    secret_key: str,
    *,
    algorithm: str,
    key_prefix: str,
    terminator: str,
    service: str,
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes,
    x_date: str,
    region: str,
) -> str:
    """``{algorithm} Credential={ak}/{scope}, SignedHeaders=…, Signature=…`` over every header of ``headers``;
    the key chain starts from ``key_prefix + secret_key``."""
    lowered = {k.lower(): v.strip() for k, v in headers.items()}
    names = sorted(lowered)
    canonical_query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items()))
    canonical = "\n".join(
        [method, quote(path, safe="/-_.~"), canonical_query, "".join(f"{n}:{lowered[n]}\n" for n in names),
         ";".join(names), hashlib.sha256(body).hexdigest()]
    )  # fmt: skip
    scope = f"{x_date[:8]}/{region}/{service}/{terminator}"
    to_sign = f"{algorithm}\n{x_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = (key_prefix + secret_key).encode()
    signing = _hmac(_hmac(_hmac(_hmac(key, x_date[:8]), region), service), terminator)
    signature = hmac.new(signing, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{algorithm} Credential={access_key}/{scope}, SignedHeaders={';'.join(names)}, Signature={signature}"


volcengine_authorization = partial(
    sigv4_like_authorization, algorithm="HMAC-SHA256", key_prefix="", terminator="request", service="volcSMS"
)
"""Volcengine: the secret key as is, terminator ``request``, service ``volcSMS``."""

jdcloud_authorization = partial(
    sigv4_like_authorization, algorithm="JDCLOUD3-HMAC-SHA256", key_prefix="JDCLOUD3", terminator="jdcloud3_request",
    service="sms",
)  # fmt: skip
"""JD Cloud: key ``"JDCLOUD3" + SK``, terminator ``jdcloud3_request``, service ``sms``."""
