"""A Telnyx Messaging API on loopback, checking the key and the message as Telnyx does.

``POST /v2/messages`` with ``Authorization: Bearer <API key>`` and a JSON body for one number.
Answers 200 with ``{"data": message}``, or JSON:API ``{"errors": [{"code", "title", "detail"}]}``
with 401, 422 (a bad field or number, nothing sent) or 429. Pushes ``message.finalized`` events
signed with Ed25519 over ``timestamp|body``, as Telnyx does, with the emulator's own key pair.
Knobs: :meth:`TelnyxEmulator.throttle`, :meth:`TelnyxEmulator.fail_phone`.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ._base import EmulatorBase
from ._outgoing import Outgoing
from .server import Received

API_KEY = "KEY0123456789ABCDEF_telnyx-not-a-real-one"
SEED = bytes(range(32))  # the emulator's Ed25519 key; provider-specs-2 §23.15 uses the same seed

_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def error(status: int, code: str, title: str, detail: str, pointer: str | None = None) -> web.Response:
    item: dict[str, Any] = {"code": code, "title": title, "detail": detail}
    if pointer:
        item["source"] = {"pointer": pointer}
    return web.json_response({"errors": [item]}, status=status)


@dataclass
class TelnyxEmulator(EmulatorBase):
    """One Telnyx account: its key, what it delivered, and the failures it is told to give."""

    api_key: str = API_KEY
    failures: dict[str, str] = field(default_factory=dict)
    throttles: int = 0

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Provider settings for this account, sending from a test number."""
        return {"api_key": self.api_key, "from": "+18665550001", "endpoint": self.endpoint, **overrides}

    def receipt_settings(self) -> dict[str, Any]:
        """Settings for :mod:`smsgate.receipts` that verify this emulator's pushes (its public key)."""
        return {"public_key": public_key()}

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per message, without credentials."""
        return [{"phone": d["to"], "from": d.get("from"), "text": d["text"]} for d in self.delivered]

    def throttle(self, times: int = 1) -> None:
        """Answer the next ``times`` requests with 429 (nothing delivered)."""
        self.throttles += times

    def fail_phone(self, phone: str, code: str = "40300") -> None:
        """Refuse every message to ``phone`` with error ``code`` (40300: the recipient replied STOP)."""
        self.failures[phone] = code

    async def handle(self, request: Received) -> web.StreamResponse:
        if request.path != "/v2/messages":
            return error(404, "10005", "Resource not found", "The requested resource was not found.")
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme != "Bearer" or not secrets.compare_digest(key, self.api_key):
            return error(401, "10009", "Authentication failed", "The API key is not valid.")
        if self.throttles:
            self.throttles -= 1
            return error(429, "10011", "Too many requests", "Rate limit exceeded.")
        try:
            body = json.loads(request.body)
        except ValueError:
            return error(400, "10015", "Bad request", "The body is not valid JSON.")
        problem = self._invalid(body)
        if problem is not None:
            return problem
        return self._deliver(body)

    def _invalid(self, body: Any) -> web.Response | None:
        if not isinstance(body, dict):
            return error(400, "10015", "Bad request", "The body must be a JSON object.")
        to = body.get("to")
        if not isinstance(to, str) or not _E164.match(to):
            return error(422, "40310", "Invalid 'to' address", "The 'to' address is not valid.", "/to")
        if not (body.get("from") or body.get("messaging_profile_id")):
            return error(422, "40305", "Invalid 'from' address", "A 'from' or profile is required.", "/from")
        if not isinstance(body.get("text"), str) or not body["text"]:
            return error(422, "40005", "Invalid message body", "'text' is required.", "/text")
        if to in self.failures:
            return error(422, self.failures[to], "Blocked", "The recipient cannot receive this message.", "/to")
        return None

    def _deliver(self, body: dict[str, Any]) -> web.Response:
        ident = str(uuid.uuid4())
        self.delivered.append({**body, "id": ident})
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000+00:00", time.gmtime())
        message = {
            "record_type": "message",
            "id": ident,
            "direction": "outbound",
            "type": "SMS",
            "from": {"phone_number": body.get("from"), "carrier": "Telnyx", "line_type": "Wireless"},
            "to": [{"phone_number": body["to"], "status": "queued", "carrier": "T-MOBILE", "line_type": "Wireless"}],
            "text": body["text"],
            "parts": 1,
            "cost": {"amount": "0.0040", "currency": "USD"},
            "errors": [],
            "received_at": now,
        }
        return web.Response(status=200, text=json.dumps({"data": message}), content_type="application/json")

    def receipt_pushes(self, deliveries: Sequence[Mapping[str, Any]], url: str, *, delivered: bool) -> list[Outgoing]:
        """A signed ``message.finalized`` event POSTed to ``url`` for each delivery."""
        out = []
        for d in deliveries:
            status = "delivered" if delivered else "delivery_failed"
            payload = {
                "id": d["id"],
                "to": [{"phone_number": d["to"], "status": status}],
                "parts": 1,
                "errors": [] if delivered else [{"code": "40008", "title": "Undeliverable"}],
                "completed_at": time.strftime("%Y-%m-%dT%H:%M:%S.000+00:00", time.gmtime()),
            }
            event = {"data": {"event_type": "message.finalized", "id": str(uuid.uuid4()), "payload": payload}}
            body = json.dumps(event).encode()
            stamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                "telnyx-timestamp": stamp,
                "telnyx-signature-ed25519": sign(stamp, body),
            }
            out.append(Outgoing("POST", url, headers, body))
        return out


def sign(timestamp: str, body: bytes, seed: bytes = SEED) -> str:
    """``telnyx-signature-ed25519``: Ed25519 over ``timestamp|body``, base64."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.from_private_bytes(seed)
    return base64.b64encode(key.sign(timestamp.encode() + b"|" + body)).decode()


def public_key(seed: bytes = SEED) -> str:
    """The base64 public key that verifies :func:`sign`."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()
