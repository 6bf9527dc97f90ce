"""Alibaba Cloud request signing: ACS3-HMAC-SHA256 (V3) and the legacy RPC HMAC-SHA1.

:class:`RpcSigner` signs one RPC-style POST (``action`` and its params) either way; the functions
below it are the steps, each checked against the spec's vectors.

Both canonicalise parameters the same way: sorted by key, each ``pct(key)=pct(value)``
with RFC 3986 percent-encoding (``A-Za-z0-9-_.~`` kept, UTF-8, upper-case hex), joined by ``&``.
That canonical form is also a valid wire encoding, so the provider sends it as the URL query.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import quote

__all__ = [
    "EMPTY_SHA256",
    "V3_ALGORITHM",
    "RpcSigner",
    "V3Signer",
    "canonical_query",
    "pct",
    "rpc_signature",
    "send_sms_params",
    "send_sms_query",
    "v3_authorization",
]

V3_ALGORITHM = "ACS3-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


_ALL_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch
# the encoding of each ASCII code point, by index (a list: ``str.translate`` indexes it faster than a dict)
_ASCII = [chr(c) if _ALL_UNRESERVED(chr(c)) else f"%{c:02X}" for c in range(128)]


def pct(value: str) -> str:
    """RFC 3986 percent-encoding of ``value`` (UTF-8), keeping only unreserved characters."""
    if value.isascii():  # one C-level pass; ``quote`` walks the bytes in Python
        return value if value.isalnum() else value.translate(_ASCII)  # digits (a phone): nothing to encode
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


def send_sms_params(
    phones: str, sign: str, template: str, params: str | None, out_id: str | None, extend_code: str | None
) -> dict[str, str]:
    """The params of a SendSms (``params``: the ``TemplateParam`` JSON), empty ones left out."""
    query = {"PhoneNumbers": phones, "SignName": sign, "TemplateCode": template}
    optional = {"TemplateParam": params, "OutId": out_id, "SmsUpExtendCode": extend_code}
    query.update({name: value for name, value in optional.items() if value})
    return query


def send_sms_query(
    phones: str, sign: str, template: str, params: str | None, out_id: str | None, extend_code: str | None
) -> str:
    """``canonical_query(send_sms_params(...))`` composed in its order at once (the hot path), with
    ``params`` (the ``TemplateParam`` JSON) percent-encoded already (``pct``, or
    ``_aliyun_wire.pct_json``), the sign name and the template code encoded once each."""
    sign_part, template_part = _send_sms_parts(sign, template)
    query = f"PhoneNumbers={pct(phones)}{sign_part}"
    if out_id:
        query = f"OutId={pct(out_id)}&{query}"
    if extend_code:
        query = f"{query}&SmsUpExtendCode={pct(extend_code)}"
    if not params:
        return query + template_part
    return f"{query}{template_part}&TemplateParam={params}"


@lru_cache(maxsize=64)
def _send_sms_parts(sign: str, template: str) -> tuple[str, str]:
    """The ``SignName`` and ``TemplateCode`` pieces of a SendSms query (few and public: remembered)."""
    return f"&SignName={pct(sign)}", f"&TemplateCode={pct(template)}"


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
    return V3Signer(access_key_id, secret).authorization(method, query, headers, payload_sha256)


class V3Signer:
    """ACS3-HMAC-SHA256 for one access key, its HMAC key set up once (each signature copies it).

    A copied key is cheaper than a one-shot ``hmac.digest``, which also lets go of the GIL on every
    call: a costly hand-over when another thread (an HTTP client's runtime) is waiting for it. The
    copies are made of the OpenSSL HMAC object inside ``hmac.HMAC`` when it has one (the same
    ``copy``/``update``/``hexdigest``, without three Python calls around them: a third of a signature).
    """

    __slots__ = ("_credential", "_keyed")

    def __init__(self, access_key_id: str, secret: str) -> None:
        keyed = hmac.new(secret.encode(), digestmod=hashlib.sha256)
        self._keyed: Any = getattr(keyed, "_hmac", None) or keyed
        self._credential = f"{V3_ALGORITHM} Credential={access_key_id},SignedHeaders="

    def signature(self, canonical_request: str) -> str:
        """The hex signature of a canonical request (the string to sign is derived from it)."""
        mac = self._keyed.copy()
        mac.update(f"{V3_ALGORITHM}\n{hashlib.sha256(canonical_request.encode()).hexdigest()}".encode())
        signature: str = mac.hexdigest()
        return signature

    def credential(self, signed_headers: str) -> str:
        """The ``Authorization`` value up to the signature."""
        return f"{self._credential}{signed_headers},Signature="

    def authorization(self, method: str, query: str, headers: Mapping[str, str], payload_sha256: str) -> str:
        """Sign every header in ``headers`` (names lower case): the canonical request is the method,
        ``/``, the canonical query, one ``name:value`` line per header in name order, the signed
        names joined by ``;`` and the payload hash."""
        names = sorted(headers)
        signed = ";".join(names)
        lines = "".join([f"{name}:{headers[name].strip()}\n" for name in names])
        canonical = f"{method}\n/\n{query}\n{lines}\n{signed}\n{payload_sha256}"
        return f"{self._credential}{signed},Signature={self.signature(canonical)}"


_VARYING = ("x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce")  # per request


class _V3Headers:
    """What the V3 headers of one action's requests share, prepared once: the fixed headers and their
    canonical lines (in name order, around the three that vary per request), the signed names and the
    ``Authorization`` prefix. :meth:`sign` then only formats the varying lines and hashes."""

    __slots__ = ("_after_date", "_after_nonce", "_before", "_credential", "_headers", "_tail", "_v3")

    def __init__(self, v3: V3Signer, head: dict[str, str], rest: dict[str, str]) -> None:
        """``head`` and ``rest``: the fixed headers sent before and after the varying ones."""
        fixed = {**head, **rest}
        names = sorted([*fixed, *_VARYING])
        lines = {name: f"{name}:{fixed[name].strip()}\n" for name in fixed}
        sha, date, nonce = (names.index(name) for name in _VARYING)
        if not sha + 1 == date < nonce:  # fixed header names cannot sort between these two
            raise ValueError("a fixed header sorts between x-acs-content-sha256 and x-acs-date")
        self._before = "".join([lines[n] for n in names[:sha]])
        self._after_date = "".join([lines[n] for n in names[date + 1 : nonce]])
        self._after_nonce = "".join([lines[n] for n in names[nonce + 1 :]])
        signed = ";".join(names)
        self._tail = f"\n{signed}\n"
        self._credential = v3.credential(signed)
        self._headers = {**head, **dict.fromkeys(_VARYING, ""), **rest, "authorization": ""}  # in sending order
        self._v3 = v3

    def sign(self, query: str, digest: str, date: str, nonce: str) -> dict[str, str]:
        """The headers, ``authorization`` last, of a ``POST /`` with this canonical query."""
        canonical = (
            f"POST\n/\n{query}\n{self._before}x-acs-content-sha256:{digest}\nx-acs-date:{date}\n"
            f"{self._after_date}x-acs-signature-nonce:{nonce}\n{self._after_nonce}{self._tail}{digest}"
        )
        headers = self._headers.copy()  # a copy keeps the order; setting its keys again keeps it too
        headers["x-acs-content-sha256"] = digest
        headers["x-acs-date"] = date
        headers["x-acs-signature-nonce"] = nonce
        headers["authorization"] = self._credential + self._v3.signature(canonical)
        return headers


def rpc_signature(method: str, params: Mapping[str, str], secret: str) -> str:
    """The legacy ``Signature`` (base64 HMAC-SHA1) over query and form params together."""
    to_sign = f"{method.upper()}&%2F&{pct(canonical_query(params))}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


_FORM = "application/x-www-form-urlencoded"


class RpcSigner:
    """Signs RPC-style POSTs to ``/`` of one API (``host``, ``version``) with one access key.

    :meth:`sign` returns the URL query and the headers of a request: V3 puts the action, date and
    nonce in headers and signs them all; v2 puts them in the query with a ``Signature``.
    """

    def __init__(
        self,
        access_key_id: str,
        secret: str,
        *,
        host: str,
        version: str,
        token: str | None = None,
        signature_version: Literal["v3", "v2"] = "v3",
    ) -> None:
        self.access_key_id, self.host, self.version = access_key_id, host, version
        self.signature_version = signature_version
        self._secret, self._token = secret, token
        self._v3 = V3Signer(access_key_id, secret)
        self._stamp: tuple[int, str] = (-1, "")
        self._encoded: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
        self._actions: dict[str, _V3Headers] = {}

    def date(self, second: float) -> str:
        """``x-acs-date`` / ``Timestamp`` for ``second`` (UTC), formatted once per second."""
        cached = self._stamp  # one tuple, swapped whole: safe across threads
        if cached[0] != int(second):
            cached = self._stamp = (int(second), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(second))))
        return cached[1]

    def sign(
        self,
        action: str,
        query: dict[str, str],
        *,
        date: str,
        nonce: str,
        body: bytes = b"",
        form: Mapping[str, str] | None = None,
        repeated: tuple[tuple[str, str], ...] = (),
    ) -> tuple[str, dict[str, str]]:
        """``(canonical query, headers)`` for ``action`` with ``query`` as URL params and ``body``
        (``form``, encoded). ``repeated`` are more URL params, as ``(name, value)`` pairs, that recur
        between requests (sign names, template codes: few and public): their encoding is remembered."""
        if self.signature_version == "v2":
            return self._sign_v2(action, {**query, **dict(repeated)} if repeated else query, date, nonce, form)
        digest = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
        canonical = canonical_query(query, self._encoded.get(repeated) or self._encode(repeated))
        return canonical, self.v3_headers(action).sign(canonical, digest, date, nonce)

    def v3_headers(self, action: str) -> _V3Headers:
        """The V3 header material of ``action``, prepared on its first request."""
        prepared = self._actions.get(action)
        if prepared is None:
            head = {
                "host": self.host,
                "accept": "application/json",
                "content-type": _FORM,  # even without a body: some clients add their own, which Aliyun wants signed
                "x-acs-action": action,
            }
            rest = {"x-acs-version": self.version}
            if self._token:
                rest.update({"x-acs-security-token": self._token, "x-acs-accesskey-id": self.access_key_id})
            prepared = self._actions[action] = _V3Headers(self._v3, head, rest)
        return prepared

    def _sign_v2(
        self,
        action: str,
        query: dict[str, str],
        date: str,
        nonce: str,
        form: Mapping[str, str] | None,
    ) -> tuple[str, dict[str, str]]:
        """The legacy RPC signature: common params in the query, HMAC-SHA1 over query and form."""
        query.update(
            Action=action,
            Version=self.version,
            Format="json",
            Timestamp=date,
            SignatureNonce=nonce,
            SignatureMethod="HMAC-SHA1",
            SignatureVersion="1.0",
            AccessKeyId=self.access_key_id,
        )
        if self._token:
            query["SecurityToken"] = self._token
        query["Signature"] = rpc_signature("POST", {**query, **(form or {})}, self._secret)
        return canonical_query(query), {"host": self.host, "accept": "application/json", "content-type": _FORM}

    def _encode(self, repeated: tuple[tuple[str, str], ...]) -> dict[str, str]:
        """The encoded values of ``repeated``, remembered (at most 64 combinations at once)."""
        if len(self._encoded) >= 64:
            self._encoded.clear()
        encoded = self._encoded[repeated] = {name: pct(value) for name, value in repeated}
        return encoded
