"""A fake SNS ``Publish`` endpoint that verifies SigV4 and can throttle; moto does neither.

The verifier is written from the SigV4 description (provider-specs §6), independently of
botocore: it rebuilds the canonical request from what arrived (method, path, query, the headers
named in ``SignedHeaders``, the body's SHA-256), derives the key chain
``HMAC("AWS4"+secret, date) → region → "sns" → "aws4_request"`` and compares. Errors come back in
SNS's XML shape. Knobs: :meth:`FakeSns.throttle`, :meth:`FakeSns.fail_phone`.
"""

from __future__ import annotations

import base64
import calendar
import datetime
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote
from xml.sax.saxutils import escape

from aiohttp import web

from ._base import EmulatorBase
from ._outgoing import Outgoing, json_push
from .server import FakeServer, Received

ACCESS_KEY = "AKIDFAKESNS0000000001"
SECRET_KEY = "fake-sns-secret-key-not-real"
REGION = "ap-southeast-1"
NS = "http://sns.amazonaws.com/doc/2010-03-31/"

_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request,"
    r" ?SignedHeaders=(?P<signed>[a-z0-9;-]+), ?Signature=(?P<signature>[0-9a-f]{64})$"
)
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def error(status: int, code: str, message: str, kind: str = "Sender") -> web.Response:
    body = (
        f'<ErrorResponse xmlns="{NS}"><Error><Type>{kind}</Type><Code>{code}</Code>'
        f"<Message>{escape(message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return web.Response(status=status, text=body, content_type="text/xml")


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def expected_signature(request: Received, signed: list[str], secret: str, date: str, region: str) -> str:
    """The SigV4 signature of ``request`` as SNS computes it."""
    query = sorted(parse_qsl(request.raw_query, keep_blank_values=True))
    canonical_query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in query)
    headers = "".join(f"{name}:{' '.join(request.headers.get(name, '').split())}\n" for name in signed)
    canonical = "\n".join(
        [
            request.method,
            quote(request.path or "/", safe="/-_.~"),
            canonical_query,
            headers,
            ";".join(signed),
            hashlib.sha256(request.body).hexdigest(),
        ]
    )
    stamp = request.headers.get("x-amz-date", "")
    scope = f"{date}/{region}/sns/aws4_request"
    to_sign = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = _hmac(("AWS4" + secret).encode(), date)
    for part in (region, "sns", "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


@dataclass
class FakeSns(EmulatorBase):
    """One AWS account's SNS in one region: keys (with optional session tokens) and what it sent."""

    keys: dict[str, str] = field(default_factory=lambda: {ACCESS_KEY: SECRET_KEY})
    tokens: dict[str, str] = field(default_factory=dict)
    region: str = REGION
    clock: Callable[[], float] = time.time
    failures: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    throttles: list[str | None] = field(default_factory=list)

    def settings(self, **overrides: str) -> dict[str, str]:
        base = {"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY, "region": self.region}
        if self.server is not None:
            base["endpoint"] = self.endpoint
        return {**base, **overrides}

    def receipt_pushes(
        self, deliveries: Sequence[Mapping[str, str]], url: str, *, delivered: bool, sns: SnsSigner | None = None
    ) -> list[Outgoing]:
        """An SNS notification of each delivery's status log event, signed by ``sns`` (or a new signer)."""
        signer = sns or SnsSigner()
        state = "SUCCESS" if delivered else "FAILURE"
        return [json_push(url, signer.envelope(sns_delivery(d["MessageId"], d["PhoneNumber"], state)))
                for d in deliveries]  # fmt: skip

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per message, without credentials."""
        return [{"phone": d["PhoneNumber"], "text": d["Message"]} for d in self.delivered]

    def throttle(self, times: int = 1, retry_after: str | None = None) -> None:
        """Answer the next ``times`` signed requests with 400 Throttling (nothing sent)."""
        self.throttles.extend([retry_after] * times)

    def fail_phone(
        self, phone: str, code: str = "InvalidParameter", message: str | None = None, status: int = 400
    ) -> None:
        text = message or "Invalid parameter: PhoneNumber Reason: the number is not reachable"
        self.failures[phone] = (status, code, text)

    async def handle(self, request: Received) -> web.StreamResponse:
        problem = self.verify(request)
        if problem is not None:
            return problem
        if self.throttles:
            retry_after = self.throttles.pop(0)
            response = error(400, "Throttling", "Rate exceeded")
            if retry_after is not None:
                response.headers["Retry-After"] = retry_after
            return response
        form = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
        if form.get("Action") != "Publish" or form.get("Version") != "2010-03-31":
            return error(400, "InvalidAction", f"Could not find operation {form.get('Action')} for version")
        phone, text = form.get("PhoneNumber", ""), form.get("Message")
        if not _E164.match(phone):
            return error(400, "InvalidParameter", "Invalid parameter: PhoneNumber Reason: not in E.164 format")
        if not text:
            return error(400, "InvalidParameter", "Invalid parameter: Empty message")
        if phone in self.failures:
            return error(*self.failures[phone])
        message_id = str(uuid.uuid4())
        self.delivered.append({**form, "MessageId": message_id})
        body = (
            f'<PublishResponse xmlns="{NS}"><PublishResult><MessageId>{message_id}</MessageId></PublishResult>'
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></PublishResponse>"
        )
        return web.Response(status=200, text=body, content_type="text/xml")

    def verify(self, request: Received) -> web.Response | None:
        """``None`` if ``request`` carries a valid SigV4 signature, else the error SNS would answer."""
        match = _AUTH.match(request.headers.get("authorization", ""))
        if match is None:
            return error(400, "IncompleteSignature", "Authorization header is missing or malformed")
        key, date = match["key"], match["date"]
        if key not in self.keys:
            return error(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
        if match["service"] != "sns" or match["region"] != self.region:
            return error(403, "SignatureDoesNotMatch", "Credential should be scoped to a valid region and service.")
        signed = match["signed"].split(";")
        stamp = request.headers.get("x-amz-date", "")
        if not {"host", "x-amz-date"} <= set(signed) or not stamp.startswith(date):
            return error(403, "SignatureDoesNotMatch", "The request signature does not sign host and x-amz-date.")
        try:
            when = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            return error(400, "IncompleteSignature", "X-Amz-Date is not a valid timestamp")
        if abs(when - self.clock()) > 300:
            return error(400, "RequestExpired", "Request has expired.")
        token = self.tokens.get(key)
        if token is not None and (
            "x-amz-security-token" not in signed
            or not secrets.compare_digest(request.headers.get("x-amz-security-token", ""), token)
        ):
            return error(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
        wanted = expected_signature(request, signed, self.keys[key], date, match["region"])
        if not hmac.compare_digest(wanted, match["signature"]):
            return error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match.")
        return None


# -- receipts (provider-specs-2 §21.5): RSA-signed envelopes, the certificate served over HTTP -------


class SnsSigner:
    """An SNS signing key and its self-signed certificate, served at :attr:`cert_url`."""

    def __init__(self) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .sign(self.key, hashes.SHA256())
        )
        self.pem = cert.public_bytes(serialization.Encoding.PEM)
        self.server: FakeServer | None = None

    async def handle(self, request: Received) -> web.StreamResponse:
        return web.Response(body=self.pem, content_type="application/x-pem-file")

    @property
    def cert_url(self) -> str:
        assert self.server is not None
        return f"{self.server.url}/SimpleNotificationService-0000.pem"

    def envelope(
        self,
        message: Any,
        *,
        when: float | None = None,
        topic: str = "arn:aws:sns:us-east-1:1:sms",
        cert_url: str | None = None,
    ) -> dict[str, Any]:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        stamp = datetime.datetime.fromtimestamp(time.time() if when is None else when, datetime.timezone.utc)
        env = {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": topic,
            "Message": message if isinstance(message, str) else json.dumps(message),
            "Timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "SignatureVersion": "2",
            "SigningCertURL": cert_url or self.cert_url,
            "UnsubscribeURL": "http://127.0.0.1/unsubscribe",
        }
        to_sign = "".join(
            f"{k}\n{env[k]}\n" for k in ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type") if k in env
        )
        signature = self.key.sign(to_sign.encode(), padding.PKCS1v15(), hashes.SHA256())
        return {**env, "Signature": base64.b64encode(signature).decode()}


def sns_delivery(message_id: str, phone: str, status: str = "SUCCESS") -> dict[str, Any]:
    return {
        "notification": {"messageId": message_id, "timestamp": "2024-01-01 00:00:00.000"},
        "delivery": {
            "phoneCarrier": "Carrier",
            "mnc": 1,
            "mcc": 310,
            "numberOfMessageParts": 1,
            "destination": phone,
            "priceInUSD": 0.00645,
            "smsType": "Transactional",
            "providerResponse": "Message has been accepted by phone carrier",
            "dwellTimeMs": 599,
            "dwellTimeMsUntilDeviceAck": 1344,
        },
        "status": status,
    }
