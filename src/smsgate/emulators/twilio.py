"""A fake Twilio Messages API on loopback, checking credentials as Twilio does.

``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP Basic auth: the account SID
and auth token, or one of the account's API key SIDs and its secret; the SID in the path must be
the authenticated account. Answers 201 with the message resource, or Twilio's error shape
``{code, message, more_info, status}``. Knobs: :meth:`FakeTwilio.throttle`,
:meth:`FakeTwilio.fail_phone`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import web

from ._base import EmulatorBase
from ._outgoing import Outgoing
from .server import Received

ACCOUNT_SID = "AC" + "a1" * 16
AUTH_TOKEN = "twilio-auth-token-not-a-real-one"
API_KEY_SID = "SK" + "b2" * 16
API_KEY_SECRET = "twilio-api-key-secret-not-real"

_PATH = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages\.json$")
_MESSAGE = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages/([^/]+)\.json$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def error(status: int, code: int, message: str) -> web.Response:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return web.json_response(body, status=status)


@dataclass
class FakeTwilio(EmulatorBase):
    """One Twilio account: its credentials, what it delivered, and the failures it is told to give."""

    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    api_keys: dict[str, str] = field(default_factory=lambda: {API_KEY_SID: API_KEY_SECRET})
    failures: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    throttles: list[str | None] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)  # message SID → status a fetch reports

    def settings(self, **overrides: str) -> dict[str, str]:
        """Provider settings that authenticate with this account, sending from a test number."""
        base = {
            "account_sid": self.account_sid,
            "auth_token": self.auth_token,
            "from": "+15005550006",
            "endpoint": self.endpoint,
        }
        return {**base, **overrides}

    def receipt_pushes(self, deliveries: Sequence[Mapping[str, str]], url: str, *, delivered: bool) -> list[Outgoing]:
        """A status callback for each delivery, signed with the account's auth token."""
        state = "delivered" if delivered else "undelivered"
        return [twilio_post(url, self.auth_token, twilio_status(self.account_sid, d["sid"], d["To"], state))
                for d in deliveries]  # fmt: skip

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per message, without credentials."""
        return [
            {"phone": d["To"], "from": d.get("From") or d.get("MessagingServiceSid"), "text": d["Body"]}
            for d in self.delivered
        ]

    def throttle(self, times: int = 1, retry_after: str | None = None) -> None:
        """Answer the next ``times`` requests with 429 / 20429 (nothing delivered)."""
        self.throttles.extend([retry_after] * times)

    def fail_phone(self, phone: str, code: int = 21211, status: int = 400, message: str | None = None) -> None:
        """Refuse every message to ``phone`` (E.164) with Twilio error ``code``."""
        self.failures[phone] = (status, code, message or f"The 'To' number {phone} is not a valid phone number.")

    async def handle(self, request: Received) -> web.StreamResponse:
        fetch = _MESSAGE.match(request.path)
        if request.method == "GET" and fetch is not None:
            return self._fetch(request, fetch.group(1), fetch.group(2))
        match = _PATH.match(request.path)
        if request.method != "POST" or match is None:
            return error(404, 20404, "The requested resource was not found")
        if not self._authenticated(request.headers.get("authorization", ""), match.group(1)):
            return error(401, 20003, "Authenticate")
        if self.throttles:
            retry_after = self.throttles.pop(0)
            response = error(429, 20429, "Too Many Requests")
            if retry_after is not None:
                response.headers["Retry-After"] = retry_after
            return response
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return error(400, 21602, "Message body is required.")
        form = dict(parse_qsl(request.body.decode(), keep_blank_values=True, strict_parsing=bool(request.body)))
        problem = self._invalid(form)
        if problem is not None:
            return problem
        return self._deliver(form)

    def _authenticated(self, header: str, path_sid: str) -> bool:
        scheme, _, token = header.partition(" ")
        if scheme != "Basic":
            return False
        try:
            user, _, password = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        if user == self.account_sid:
            ok = secrets.compare_digest(password, self.auth_token)
        else:
            ok = user in self.api_keys and secrets.compare_digest(password, self.api_keys[user])
        return ok and path_sid == self.account_sid

    def _invalid(self, form: dict[str, str]) -> web.Response | None:
        to = form.get("To")
        if not to:
            return error(400, 21604, "A 'To' phone number is required.")
        if not _E164.match(to):
            return error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return error(400, 21603, "A 'From' phone number is required.")
        body = form.get("Body")
        if not body:
            return error(400, 21602, "Message body is required.")
        if len(body) > 1600:
            return error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        if to in self.failures:
            status, code, message = self.failures[to]
            return error(status, code, message)
        return None

    def _fetch(self, request: Received, account: str, sid: str) -> web.Response:
        """``GET …/Messages/{Sid}.json``: the message as it stands (``statuses[sid]``, else delivered)."""
        if not self._authenticated(request.headers.get("authorization", ""), account):
            return error(401, 20003, "Authenticate")
        sent = next((d for d in self.delivered if d["sid"] == sid), None)
        if sent is None:
            return error(404, 20404, f"The requested resource /Messages/{sid}.json was not found")
        status = self.statuses.get(sid, "delivered")
        resource = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": sent["To"],
            "from": sent.get("From"),
            "status": status,
            "num_segments": "1",
            "price": "-0.00750",
            "price_unit": "USD",
            "error_code": 30003 if status in ("undelivered", "failed") else None,
            "date_updated": "Wed, 25 Nov 2026 10:00:00 +0000",
        }
        return web.json_response(resource)

    def _deliver(self, form: dict[str, str]) -> web.Response:
        sid = "SM" + secrets.token_hex(16)
        self.delivered.append({**form, "sid": sid})
        resource = {
            "sid": sid,
            "account_sid": self.account_sid,
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "to": form["To"],
            "from": form.get("From"),
            "body": form["Body"],
            "status": "accepted" if form.get("MessagingServiceSid") else "queued",
            "num_segments": "1",
            "num_media": "0",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "price": None,
            "price_unit": "USD",
            "error_code": None,
            "error_message": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        return web.Response(status=201, text=json.dumps(resource), content_type="application/json")


# -- receipts (provider-specs-2 §21.4, §23.0 twilio_sig): form POSTs, X-Twilio-Signature -------------


def twilio_sig(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """``X-Twilio-Signature`` of a form POST to ``url``."""
    data = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def twilio_status(account_sid: str, sid: str, to: str, status: str = "delivered") -> dict[str, str]:
    """A status callback's form fields."""
    form = {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": account_sid,
        "From": "+15005550006",
        "To": to,
        "ApiVersion": "2010-04-01",
    }
    if status in ("failed", "undelivered"):
        form["ErrorCode"] = "30003"
    return form


def twilio_inbound(account_sid: str, sender: str, text: str) -> dict[str, str]:
    """An incoming message's form fields."""
    sid = "SM" + secrets.token_hex(16)
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": account_sid,
        "From": sender,
        "To": "+15005550006",
        "Body": text,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }


def twilio_post(url: str, auth_token: str, form: Mapping[str, str]) -> Outgoing:
    """``form`` POSTed to ``url``, signed as Twilio signs its webhooks."""
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": twilio_sig(auth_token, url, form),
        "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
    }
    return Outgoing("POST", url, headers, urlencode(form).encode())
