"""A UCloud USMS API on loopback, checking the signature as UCloud does.

``POST /`` with a form body (``Action=SendUSMSMessage``). The ``Signature`` must be the hex SHA-1 of
every other field's name and value, sorted by name, followed by the private key of the public key
given. Answers ``{"RetCode": 0, "Action": "SendUSMSMessageResponse", "SessionNo"}``, or a non-zero
``RetCode`` (HTTP 200 always): ``171`` bad signature, ``172`` unknown public key, ``153`` throttled,
``160`` missing parameters. Delivery reports go out as UCloud pushes them (``{"MsgType": 2, "Data": [...]}``).
Knobs: :meth:`UCloudEmulator.throttle`.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from ._base import EmulatorBase
from ._outgoing import Outgoing
from .server import Received

PUBLIC_KEY = "ucloud-public-key"
PRIVATE_KEY = "ucloud-private-key-not-a-real-one"
_NUMBER = re.compile(r"^(\(\d{1,4}\))?\d{5,15}$")


def answer(code: int, message: str = "", **extra: Any) -> web.Response:
    return web.json_response({"RetCode": code, "Action": "SendUSMSMessageResponse", "Message": message, **extra})


@dataclass
class UCloudEmulator(EmulatorBase):
    """One UCloud account: its key pair, what it delivered, and the failures it is told to give."""

    keys: dict[str, str] = field(default_factory=lambda: {PUBLIC_KEY: PRIVATE_KEY})
    throttles: int = 0

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Provider settings for this account."""
        return {"public_key": PUBLIC_KEY, "private_key": self.keys[PUBLIC_KEY], "sign_name": "UCloud",
                "project_id": "org-test", "endpoint": self.endpoint, **overrides}  # fmt: skip

    def receipt_settings(self) -> dict[str, Any]:
        """Settings for :mod:`smsgate.receipts`: UCloud does not sign pushes, a path token guards the URL."""
        return {"path_token": "t"}

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per number, without credentials."""
        return [{"phone": d["phone"], "template": d["template"], "params": d["params"]} for d in self.delivered]

    def throttle(self, times: int = 1) -> None:
        """Answer the next ``times`` requests with RetCode 153 (nothing delivered)."""
        self.throttles += times

    async def handle(self, request: Received) -> web.StreamResponse:
        if request.method != "POST" or request.path != "/":
            return web.Response(status=404, text="not found")
        try:
            form = dict(parse_qsl(request.body.decode(), keep_blank_values=True, strict_parsing=bool(request.body)))
        except (UnicodeDecodeError, ValueError):
            return answer(161, "invalid body")
        private = self.keys.get(form.get("PublicKey", ""))
        if private is None:
            return answer(172, "public key not found")
        text = "".join(f"{k}{v}" for k, v in sorted(form.items()) if k != "Signature") + private
        if not secrets.compare_digest(form.get("Signature", ""), hashlib.sha1(text.encode()).hexdigest()):
            return answer(171, "signature verification failed")
        if form.get("Action") != "SendUSMSMessage":
            return answer(160, "Action not supported")
        if self.throttles:
            self.throttles -= 1
            return answer(153, "throttled")
        phones = [v for k, v in sorted(form.items(), key=_index) if k.startswith("PhoneNumbers.")]
        if not phones or not form.get("TemplateId") or not all(_NUMBER.match(p) for p in phones):
            return answer(160, "Missing params or invalid phone numbers")
        params = [v for k, v in sorted(form.items(), key=_index) if k.startswith("TemplateParams.")]
        session = secrets.token_hex(16)
        for phone in phones:
            e164 = "+" + phone.replace("(", "").replace(")", "") if phone.startswith("(") else "+86" + phone
            self.delivered.append({"phone": e164, "template": form["TemplateId"], "params": params,
                                   "session": session, "user": form.get("UserId", "")})  # fmt: skip
        return answer(0, SessionNo=session, UserId=form.get("UserId", ""))

    def receipt_pushes(self, deliveries: Sequence[Mapping[str, Any]], url: str, *, delivered: bool) -> list[Outgoing]:
        """One push of every report, as UCloud batches them."""
        data = [
            {"SessionNo": d["session"], "Phone": d["phone"].removeprefix("+86"), "CostCount": 1,
             "ReceiptTime": int(time.time()), "ReceiptResult": "Success" if delivered else "Fail",
             "ReceiptCode": "Delivrd" if delivered else "UNDELIV", "ReceiptDesc": "", "UserId": d["user"]}
            for d in deliveries
        ]  # fmt: skip
        body = json.dumps({"MsgType": 2, "Data": data}).encode()
        return [Outgoing("POST", url, {"Content-Type": "application/json"}, body)]


def _index(item: tuple[str, str]) -> tuple[str, int]:
    name, _, number = item[0].partition(".")
    return name, int(number) if number.isdigit() else -1
