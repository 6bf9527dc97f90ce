"""A fake Vonage SMS API (``POST /sms/json``) on loopback, checking credentials as Vonage does.

Credentials come as form fields ``api_key``/``api_secret`` or as HTTP Basic auth. The answer is
always HTTP 200 with one entry per part of the text (``status`` ``"0"`` for accepted); a text is
split into parts by its encoding: GSM-7 (160 septets, 153 per part when concatenated) or, with
``type=unicode``, UCS-2 (70, 67 per part). Knobs: :meth:`FakeVonage.throttle`,
:meth:`FakeVonage.fail_phone`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import web

from ._base import EmulatorBase
from ._outgoing import Outgoing
from .server import Received

API_KEY = "a1b2c3d4"
API_SECRET = "vonage-secret-not-real"

# GSM 03.38, written out by table row; the second string costs two septets per character.
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
) - {"\x1b"}
_GSM_EXTENDED = set("\f^{}\\[]~|€")
_TO = re.compile(r"^[1-9][0-9]{6,14}$")


def septets(text: str) -> int | None:
    """GSM-7 length of ``text``, or ``None`` if it has a character outside GSM-7."""
    total = 0
    for char in text:
        if char in _GSM_BASIC:
            total += 1
        elif char in _GSM_EXTENDED:
            total += 2
        else:
            return None
    return total


def part_count(text: str, unicode: bool) -> int:
    if unicode:
        units = len(text.encode("utf-16-be")) // 2
        single, multi = 70, 67
    else:
        units = septets(text) or len(text)
        single, multi = 160, 153
    return 1 if units <= single else -(-units // multi)


def _answer(parts: list[dict[str, Any]]) -> web.Response:
    return web.json_response({"message-count": str(len(parts)), "messages": parts})


@dataclass
class FakeVonage(EmulatorBase):
    """One Vonage account: its key and secret, what it delivered, and the failures it is told to give."""

    api_key: str = API_KEY
    api_secret: str = API_SECRET
    failures: dict[str, tuple[str, str, int | None]] = field(default_factory=dict)
    throttles: int = 0

    def settings(self, **overrides: str) -> dict[str, str]:
        base = {"api_key": self.api_key, "api_secret": self.api_secret, "from": "smsgate", "endpoint": self.endpoint}
        return {**base, **overrides}

    def receipt_pushes(
        self, deliveries: Sequence[Mapping[str, str]], url: str, *, delivered: bool, signature_secret: str | None = None
    ) -> list[Outgoing]:
        """A delivery receipt form for each delivery, signed when ``signature_secret`` is given."""
        pushes = []
        for d in deliveries:
            params = vonage_dlr(self.api_key, d["message-id"], d["to"], "delivered" if delivered else "failed")
            if signature_secret:
                params = vonage_signed(params, signature_secret)
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            pushes.append(Outgoing("POST", url, headers, urlencode(params).encode()))
        return pushes

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per message, without credentials."""
        return [{"phone": d["to"], "from": d["from"], "text": d["text"]} for d in self.delivered]

    def throttle(self, times: int = 1) -> None:
        """Answer the next ``times`` requests with status 1 (Throttled); nothing delivered."""
        self.throttles += times

    def fail_phone(self, phone: str, status: str = "6", text: str = "Invalid Message", part: int | None = None) -> None:
        """Refuse messages to ``phone`` (E.164, with or without ``+``) with ``status``; with ``part``,
        accept the parts before that index and refuse from there on."""
        self.failures[phone.lstrip("+")] = (status, text, part)

    async def handle(self, request: Received) -> web.StreamResponse:
        if request.method != "POST" or request.path != "/sms/json":
            return web.json_response({"type": "NOT_FOUND", "title": "Not Found"}, status=404)
        form = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
        if not self._authenticated(form, request.headers.get("authorization", "")):
            return _answer([{"status": "4", "error-text": "Bad Credentials"}])
        if self.throttles:
            self.throttles -= 1
            return _answer([{"status": "1", "error-text": "Throughput Rate Exceeded - please wait [ 1 ] and retry"}])
        for name in ("from", "to", "text"):
            if not form.get(name):
                return _answer([{"status": "2", "error-text": f"Missing {name} param"}])
        if not _TO.match(form["to"]):
            return _answer([{"status": "3", "error-text": "Invalid to address"}])
        return self._deliver(form)

    def _authenticated(self, form: dict[str, str], header: str) -> bool:
        if "api_key" in form or "api_secret" in form:
            key, secret = form.get("api_key", ""), form.get("api_secret", "")
        else:
            scheme, _, token = header.partition(" ")
            if scheme != "Basic":
                return False
            try:
                key, _, secret = base64.b64decode(token, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return False
        return key == self.api_key and secrets.compare_digest(secret, self.api_secret)

    def _deliver(self, form: dict[str, str]) -> web.Response:
        to = form["to"]
        count = part_count(form["text"], form.get("type") == "unicode")
        status, text, failing_part = self.failures.get(to, ("0", "", None))
        parts = []
        for index in range(count):
            refused = status != "0" and (failing_part is None or index >= failing_part)
            if refused:
                parts.append({"to": to, "status": status, "error-text": text})
                continue
            part = {
                "to": to,
                "message-id": secrets.token_hex(8).upper(),
                "status": "0",
                "remaining-balance": "15.53590000",
                "message-price": "0.03330000",
                "network": "23410",
            }
            if "client-ref" in form:
                part["client-ref"] = form["client-ref"]
            parts.append(part)
        if any(p["status"] == "0" for p in parts):
            self.delivered.append({**form, "message-id": parts[0].get("message-id", ""), "parts": str(count)})
        return _answer(parts)


# -- receipts (provider-specs-2 §21.6, §23.0 vonage_sig): forms, signed when a secret is set ---------


def vonage_sig(secret: str, params: Mapping[str, str], digest: str = "sha256") -> str:
    """A signed webhook's ``sig`` over ``params``."""
    s = "".join(f"&{k}={str(v).replace('&', '_').replace('=', '_')}" for k, v in sorted(params.items()))
    if digest == "md5hash":
        return hashlib.md5((s + secret).encode()).hexdigest()
    return hmac.new(secret.encode(), s.encode(), digest).hexdigest()


def vonage_dlr(api_key: str, message_id: str, msisdn: str, status: str = "delivered") -> dict[str, str]:
    """A delivery receipt's fields."""
    return {
        "msisdn": msisdn,
        "to": "AcmeInc",
        "network-code": "23410",
        "messageId": message_id,
        "price": "0.03330000",
        "status": status,
        "scts": time.strftime("%y%m%d%H%M", time.gmtime()),
        "err-code": "0" if status == "delivered" else "6",
        "api-key": api_key,
        "message-timestamp": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
    }


def vonage_signed(params: Mapping[str, str], secret: str, *, when: float | None = None) -> dict[str, str]:
    """``params`` with ``timestamp``, ``nonce`` and their ``sig``."""
    signed = {**params, "timestamp": str(int(time.time() if when is None else when)), "nonce": str(uuid.uuid4())}
    return {**signed, "sig": vonage_sig(secret, signed)}
