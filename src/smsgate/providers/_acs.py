"""Alibaba Cloud request signing: ACS3-HMAC-SHA256 (V3) and the legacy RPC HMAC-SHA1.

Both canonicalise parameters the same way: sorted by key, each ``pct(key)=pct(value)``
with RFC 3986 percent-encoding (``A-Za-z0-9-_.~`` kept, UTF-8, upper-case hex), joined by ``&``.
That canonical form is also a valid wire encoding, so the provider sends it as the URL query.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from urllib.parse import quote

__all__ = [
    "EMPTY_SHA256",
    "V3_ALGORITHM",
    "canonical_query",
    "pct",
    "rpc_signature",
    "v3_authorization",
    "v3_signature",
    "v3_signer",
]

V3_ALGORITHM = "ACS3-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


_ALL_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch
# the encoding of each ASCII code point, by index (a list: ``str.translate`` indexes it faster than a dict)
_ASCII = [chr(c) if _ALL_UNRESERVED(chr(c)) else f"%{c:02X}" for c in range(128)]


def pct(value: str) -> str:
    """RFC 3986 percent-encoding of ``value`` (UTF-8), keeping only unreserved characters."""
    if _ALL_UNRESERVED(value):  # names, codes, phone numbers: nothing to encode
        return value
    if value.isascii():  # one C-level pass; ``quote`` walks the bytes in Python
        return value.translate(_ASCII)
    return quote(value, safe="~")


def canonical_query(params: Mapping[str, str], encoded: Mapping[str, str] | None = None) -> str:
    """``k=v&…`` sorted by key (code point order equals UTF-8 byte order), both sides encoded.

    ``encoded`` holds further params (not named in ``params``) whose values are percent-encoded already.
    """
    pairs = [(k, pct(v)) for k, v in params.items()]
    if encoded:
        pairs += encoded.items()
    pairs.sort()
    return "&".join([f"{k if k.isalnum() else pct(k)}={v}" for k, v in pairs])


def v3_authorization(
    method: str,
    query: str,
    headers: Mapping[str, str],
    payload_sha256: str,
    access_key_id: str,
    secret: str,
) -> str:
    """The ``Authorization`` value signing ``headers`` (all of them, names lower case).

    ``query`` is already canonical (:func:`canonical_query`); ``payload_sha256`` is the hex SHA-256
    of the body, as sent in ``x-acs-content-sha256``.
    """
    names = sorted(headers)
    signed = ";".join(names)
    lines = "".join([f"{name}:{headers[name].strip()}\n" for name in names])
    signature = v3_signature(f"{method}\n/\n{query}\n{lines}\n{signed}\n{payload_sha256}", secret.encode())
    return f"{V3_ALGORITHM} Credential={access_key_id},SignedHeaders={signed},Signature={signature}"


def v3_signature(canonical_request: str, secret: bytes) -> str:
    """Hex HMAC-SHA256, keyed with the raw secret, of ``ACS3-HMAC-SHA256\n`` + hex SHA-256 of the request."""
    return v3_signer(secret)(canonical_request)


def v3_signer(secret: bytes) -> Callable[[str], str]:
    """:func:`v3_signature` with the key set up once; each call signs a copy.

    Cheaper than a one-shot ``hmac.digest``, which also lets go of the GIL on every call: a
    costly hand-over when another thread (an HTTP client's runtime) is waiting for it.
    """
    keyed = hmac.new(secret, digestmod=hashlib.sha256)

    def sign(canonical_request: str) -> str:
        mac = keyed.copy()
        mac.update(f"{V3_ALGORITHM}\n{hashlib.sha256(canonical_request.encode()).hexdigest()}".encode())
        return mac.hexdigest()

    return sign


def rpc_signature(method: str, params: Mapping[str, str], secret: str) -> str:
    """The legacy ``Signature`` (base64 HMAC-SHA1) over query and form params together."""
    to_sign = f"{method.upper()}&%2F&{pct(canonical_query(params))}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()
