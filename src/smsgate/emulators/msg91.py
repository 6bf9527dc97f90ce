"""An MSG91 Flow API on loopback, checking the auth key and the recipients as MSG91 does.

``POST /api/v5/flow`` with the ``authkey`` header and a JSON body naming a template and its
recipients (each with its own variables). Answers ``{"type": "success", "message": "<request id>"}``
or ``{"type": "error", "message": …}`` (HTTP 200 for a bad request, 401 for a bad key, 429).
Delivery reports go out as the legacy webhook does: a form field ``data`` holding JSON.
Knobs: :meth:`Msg91Emulator.throttle`.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from ._base import EmulatorBase
from ._outgoing import Outgoing
from .server import Received

AUTHKEY = "msg91-authkey-not-a-real-one"
_NUMBER = re.compile(r"^[1-9][0-9]{9,14}$")


def reply(kind: str, message: str, status: int = 200) -> web.Response:
    return web.json_response({"type": kind, "message": message}, status=status)


@dataclass
class Msg91Emulator(EmulatorBase):
    """One MSG91 account: its key, its templates, what it delivered."""

    authkey: str = AUTHKEY
    templates: set[str] | None = None  # the account's template ids; None takes any
    throttles: int = 0

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Provider settings for this account."""
        return {"authkey": self.authkey, "endpoint": self.endpoint, **overrides}

    def receipt_settings(self) -> dict[str, Any]:
        """Settings for :mod:`smsgate.receipts`: MSG91 does not sign, a path token guards the URL."""
        return {"path_token": "t"}

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per number, without credentials."""
        return [
            {"phone": "+" + d["mobiles"], "template": d["template_id"], "params": d["vars"]} for d in self.delivered
        ]

    def throttle(self, times: int = 1) -> None:
        """Answer the next ``times`` requests with 429 (nothing delivered)."""
        self.throttles += times

    async def handle(self, request: Received) -> web.StreamResponse:
        if request.path != "/api/v5/flow" or request.method != "POST":
            return reply("error", "Not found", 404)
        if not secrets.compare_digest(request.headers.get("authkey", ""), self.authkey):
            return reply("error", "Authentication failure", 401)
        if self.throttles:
            self.throttles -= 1
            return reply("error", "Too many requests", 429)
        try:
            body = json.loads(request.body)
            template, recipients = body["template_id"], body["recipients"]
        except (ValueError, KeyError, TypeError):
            return reply("error", "Invalid JSON")
        if not template or (self.templates is not None and template not in self.templates):
            return reply("error", "Template ID Missing or Invalid Template")
        if not isinstance(recipients, list) or not recipients:
            return reply("error", "Mobile Number missing")
        if not all(isinstance(r, dict) and _NUMBER.match(str(r.get("mobiles", ""))) for r in recipients):
            return reply("error", "Invalid Mobile Number")
        request_id = secrets.token_hex(12)
        for r in recipients:
            params = {k: v for k, v in r.items() if k != "mobiles"}
            self.delivered.append({"template_id": template, "mobiles": r["mobiles"], "vars": params, "id": request_id})
        return reply("success", request_id)

    def receipt_pushes(self, deliveries: Sequence[Mapping[str, Any]], url: str, *, delivered: bool) -> list[Outgoing]:
        """One legacy webhook form per request id, ``data`` holding its reports as JSON."""
        by_request: dict[str, list[dict[str, Any]]] = {}
        for d in deliveries:
            status, desc, reason = ("1", "DELIVERED", "") if delivered else ("2", "FAILED", "Absent subscriber")
            report = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "number": d["mobiles"], "status": status,
                      "desc": desc, "failedReason": reason}  # fmt: skip
            by_request.setdefault(d["id"], []).append(report)
        forms = [[{"senderId": "SMSGTE", "requestId": rid, "report": reports, "userId": "1"}]
                 for rid, reports in by_request.items()]  # fmt: skip
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return [Outgoing("POST", url, headers, urlencode({"data": json.dumps(f)}).encode()) for f in forms]
