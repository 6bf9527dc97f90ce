"""A Sinch SMS (XMS) API on loopback, checking the token and the batch as Sinch does.

``POST /xms/v1/{service_plan_id}/batches`` with ``Authorization: Bearer <token>`` (the plan in the
path must be the token's) and a JSON ``mt_text`` batch. Answers 201 with the batch object, or
``{"code", "text"}`` with 400 (a bad batch or number: nothing sent), 401, 403 or 429. Pushes
per-recipient delivery reports (``recipient_delivery_report_sms``), signed with
``x-sinch-webhook-signature`` when a signing secret is set. Knobs: :meth:`SinchEmulator.throttle`,
:meth:`SinchEmulator.fail_phone`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ._base import EmulatorBase
from ._outgoing import Outgoing
from .server import Received

SERVICE_PLAN_ID = "c0ffee00c0ffee00c0ffee00c0ffee00"
API_TOKEN = "sinch-api-token-not-a-real-one"
SIGNING_SECRET = "sinch-webhook-secret-not-real"

_PATH = re.compile(r"^/xms/v1/([^/]+)/batches$")
_NUMBER = re.compile(r"^\+?[1-9][0-9]{6,14}$")
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32, as batch ids are


def error(status: int, code: str, text: str) -> web.Response:
    return web.json_response({"code": code, "text": text}, status=status)


def batch_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(26))


@dataclass
class SinchEmulator(EmulatorBase):
    """One Sinch service plan: its token, what it delivered, and the failures it is told to give."""

    service_plan_id: str = SERVICE_PLAN_ID
    api_token: str = API_TOKEN
    signing_secret: str | None = SIGNING_SECRET
    failures: set[str] = field(default_factory=set)
    throttles: int = 0

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Provider settings for this service plan, sending from a test number."""
        base = {"service_plan_id": self.service_plan_id, "api_token": self.api_token, "from": "+14155550100"}
        return {**base, "endpoint": self.endpoint, **overrides}

    def receipt_settings(self) -> dict[str, Any]:
        """Settings for :mod:`smsgate.receipts` that verify this emulator's pushes."""
        return {"signing_secret": self.signing_secret} if self.signing_secret else {"path_token": "t"}

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per recipient, without credentials."""
        return [{"phone": d["to"], "from": d["from"], "text": d["body"]} for d in self.delivered]

    def throttle(self, times: int = 1) -> None:
        """Answer the next ``times`` requests with 429 (nothing delivered)."""
        self.throttles += times

    def fail_phone(self, phone: str) -> None:
        """Refuse any batch with ``phone`` (E.164) among its recipients, as a malformed number."""
        self.failures.add(phone)

    async def handle(self, request: Received) -> web.StreamResponse:
        match = _PATH.match(request.path)
        if match is None:
            return error(404, "not_found", "the requested resource was not found")
        if request.method != "POST":
            return error(405, "method_not_allowed", "method not allowed")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme != "Bearer" or not secrets.compare_digest(token, self.api_token):
            return error(401, "unauthorized", "invalid credentials")
        if match.group(1) != self.service_plan_id:
            return error(403, "forbidden", "the token may not use this service plan")
        if self.throttles:
            self.throttles -= 1
            return error(429, "too_many_requests", "rate limit exceeded")
        try:
            batch = json.loads(request.body)
        except ValueError:
            return error(400, "syntax_invalid_json", "the body is not valid JSON")
        problem = self._invalid(batch)
        if problem is not None:
            return error(400, "syntax_constraint_violation", problem)
        return self._deliver(batch)

    def _invalid(self, batch: Any) -> str | None:
        if not isinstance(batch, dict):
            return "the batch must be a JSON object"
        to, sender, body = batch.get("to"), batch.get("from"), batch.get("body")
        if not isinstance(to, list) or not 1 <= len(to) <= 1000:
            return "to: between 1 and 1000 recipients"
        if not isinstance(sender, str) or not sender:
            return "from: required"
        if not isinstance(body, str) or not body:
            return "body: required"
        for number in to:
            if not isinstance(number, str) or not _NUMBER.match(number) or "+" + number.lstrip("+") in self.failures:
                return f"to: {number} is not a valid phone number"
        return None

    def _deliver(self, batch: dict[str, Any]) -> web.Response:
        ident = batch_id()
        for number in batch["to"]:
            self.delivered.append({**batch, "to": "+" + number.lstrip("+"), "batch_id": ident})
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        reply = {
            "id": ident,
            "to": batch["to"],
            "from": batch["from"],
            "canceled": False,
            "body": batch["body"],
            "type": "mt_text",
            "created_at": now,
            "modified_at": now,
            "delivery_report": batch.get("delivery_report", "none"),
            "flash_message": False,
        }
        if "client_reference" in batch:
            reply["client_reference"] = batch["client_reference"]
        return web.Response(status=201, text=json.dumps(reply), content_type="application/json")

    def receipt_pushes(self, deliveries: Sequence[Mapping[str, Any]], url: str, *, delivered: bool) -> list[Outgoing]:
        """A per-recipient delivery report POSTed to ``url`` for each delivery, signed when a secret is set."""
        out = []
        for d in deliveries:
            report = {
                "type": "recipient_delivery_report_sms",
                "batch_id": d["batch_id"],
                "recipient": d["to"],
                "code": 0 if delivered else 402,
                "status": "Delivered" if delivered else "Failed",
                "at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "number_of_message_parts": 1,
            }
            if "client_reference" in d:
                report["client_reference"] = d["client_reference"]
            body = json.dumps(report).encode()
            headers = {"Content-Type": "application/json"}
            if self.signing_secret:
                nonce, stamp = secrets.token_hex(13), str(int(time.time()))
                headers.update(
                    {
                        "x-sinch-webhook-signature": sign(self.signing_secret, body, nonce, stamp),
                        "x-sinch-webhook-signature-nonce": nonce,
                        "x-sinch-webhook-signature-timestamp": stamp,
                    }
                )
            out.append(Outgoing("POST", url, headers, body))
        return out


def sign(secret: str, body: bytes, nonce: str, timestamp: str) -> str:
    """``x-sinch-webhook-signature``: base64 HMAC-SHA256 over ``body.nonce.timestamp`` (the emulator's own)."""
    mac = hmac.new(secret.encode(), body + f".{nonce}.{timestamp}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()
