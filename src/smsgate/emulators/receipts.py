"""What the emulators push after a send: delivery receipts and inbound messages in each
provider's real shape, signed the way the provider signs them, POSTed to a URL.

The signing here follows the spec's reference algorithms (provider-specs-2 §21, §23.0), written
independently of :mod:`smsgate.receipts`, so that a test of one checks the other.
:class:`SnsSigner` holds an RSA key and serves its certificate, as ``SigningCertURL`` does;
:class:`ReceiptPusher` pushes a receipt for every new delivery of an emulator.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import urllib3
from aiohttp import web

from .server import FakeServer, Received

_BEIJING = datetime.timezone(datetime.timedelta(hours=8))


@dataclass
class Outgoing:
    """One push: where it goes and what it carries."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    def send(self) -> tuple[int, bytes]:
        """Deliver it over HTTP; the receiver's status and body."""
        with urllib3.PoolManager(retries=False, timeout=30.0) as pool:  # one connection, closed after
            response = pool.request(self.method, self.url, headers=self.headers, body=self.body or None)
            return response.status, bytes(response.data)


def _beijing(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, _BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _json(url: str, payload: Any, headers: Mapping[str, str] | None = None) -> Outgoing:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return Outgoing("POST", url, {"Content-Type": "application/json", **(headers or {})}, body)


# -- Aliyun (§21.1): JSON arrays, unsigned ------------------------------------------------------------


def aliyun_report(phone: str, biz_id: str, *, success: bool = True, err_code: str = "DELIVERED") -> dict[str, Any]:
    now = time.time()
    return {
        "phone_number": phone,
        "send_time": _beijing(now - 5),
        "report_time": _beijing(now),
        "success": success,
        "err_code": err_code,
        "err_msg": "用户接收成功" if success else "失败",
        "sms_size": "1",
        "biz_id": biz_id,
        "out_id": "",
    }


def aliyun_up(phone: str, content: str) -> dict[str, Any]:
    return {
        "phone_number": phone,
        "send_time": _beijing(time.time()),
        "content": content,
        "sign_name": "Acme",
        "dest_code": "1234",
        "sequence_id": secrets.randbelow(10**9),
    }


# -- Tencent (§21.2): JSON arrays, unsigned -----------------------------------------------------------


def tencent_report(phone_e164: str, sid: str, *, success: bool = True) -> dict[str, Any]:
    nation, mobile = ("86", phone_e164[3:]) if phone_e164.startswith("+86") else ("1", phone_e164[2:])
    return {
        "user_receive_time": _beijing(time.time()),
        "nationcode": nation,
        "mobile": mobile,
        "report_status": "SUCCESS" if success else "FAIL",
        "errmsg": "DELIVRD" if success else "MK:0001",
        "description": "用户短信送达成功" if success else "failed",
        "sid": sid,
    }


def tencent_reply(mobile: str, text: str) -> dict[str, Any]:
    return {"extend": "", "mobile": mobile, "nationcode": "86", "sign": "Acme", "text": text, "time": int(time.time())}


# -- Huawei (§21.3): form per report; optional SDK-HMAC-SHA256 ---------------------------------------


def huawei_report(sms_msg_id: str, to: str, status: str = "DELIVRD") -> dict[str, str]:
    return {
        "smsMsgId": sms_msg_id,
        "total": "1",
        "sequence": "1",
        "status": status,
        "source": "2",
        "updateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "orgCode": "DELIVRD" if status == "DELIVRD" else "UNDELIV",
        "to": to,
    }


def huawei_signed(
    url: str, body: bytes, app_key: str, app_secret: str, *, when: float | None = None, payload: str | None = None
) -> dict[str, str]:
    """Headers of a push signed with AK/SK (§3.2 reference), the body hash signed unless ``payload``."""
    parts = urlsplit(url)
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "host": parts.netloc,
        "x-sdk-content-sha256": payload or hashlib.sha256(body).hexdigest(),
        "x-sdk-date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if when is None else when)),
    }
    names = sorted(headers)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    canonical = "\n".join(
        ["POST", path, "", "".join(f"{k}:{headers[k]}\n" for k in names), ";".join(names), headers[names[2]]]
    )
    sts = f"SDK-HMAC-SHA256\n{headers['x-sdk-date']}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    signature = hmac.new(app_secret.encode(), sts.encode(), hashlib.sha256).hexdigest()
    auth = f"SDK-HMAC-SHA256 Access={app_key}, SignedHeaders={';'.join(names)}, Signature={signature}"
    return {**headers, "authorization": auth}


# -- Twilio (§21.4, §23.0 twilio_sig) -----------------------------------------------------------------


def twilio_sig(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    data = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def twilio_status(account_sid: str, sid: str, to: str, status: str = "delivered") -> dict[str, str]:
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
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": twilio_sig(auth_token, url, form),
        "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
    }
    return Outgoing("POST", url, headers, urlencode(form).encode())


# -- Vonage (§21.6, §23.0 vonage_sig) -----------------------------------------------------------------


def vonage_sig(secret: str, params: Mapping[str, str], digest: str = "sha256") -> str:
    s = "".join(f"&{k}={str(v).replace('&', '_').replace('=', '_')}" for k, v in sorted(params.items()))
    if digest == "md5hash":
        return hashlib.md5((s + secret).encode()).hexdigest()
    return hmac.new(secret.encode(), s.encode(), digest).hexdigest()


def vonage_dlr(api_key: str, message_id: str, msisdn: str, status: str = "delivered") -> dict[str, str]:
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
    signed = {**params, "timestamp": str(int(time.time() if when is None else when)), "nonce": str(uuid.uuid4())}
    return {**signed, "sig": vonage_sig(secret, signed)}


# -- AWS SNS (§21.5): RSA-signed envelopes, the certificate served over HTTP --------------------------


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


# -- pushing a receipt for each new delivery -----------------------------------------------------------


class ReceiptPusher:
    """Pushes a delivery receipt to ``url`` for every delivery ``emulator`` made since the last push.

    Each receipt has the provider's shape and signature. An emulator with a method
    ``receipt_pushes(deliveries, url, delivered=…)`` builds its own; for the others: Twilio signs with
    the account's auth token; Vonage signs with ``signature_secret`` when given; Huawei signs with AK/SK when ``aksk``;
    SNS envelopes are signed by ``sns`` (an :class:`SnsSigner`, serving its certificate). Aliyun
    and Tencent batch every new receipt into one JSON array. ``status`` is the outcome reported:
    ``"delivered"`` or ``"failed"``.
    """

    def __init__(
        self,
        emulator: Any,
        url: str,
        *,
        status: str = "delivered",
        signature_secret: str | None = None,
        aksk: bool = False,
        sns: SnsSigner | None = None,
    ) -> None:
        self.emulator = emulator
        self.url = url
        self.ok = status == "delivered"
        self.signature_secret = signature_secret
        self.aksk = aksk
        self.sns = sns
        self.pushed = 0

    def push_new(self) -> list[int]:
        """Push what is new; the receiver's HTTP status for each push."""
        new = list(self.emulator.delivered[self.pushed :])
        self.pushed += len(new)
        if not new:
            return []
        return [out.send()[0] for out in self.outgoing(new)]

    def outgoing(self, deliveries: Sequence[Any]) -> list[Outgoing]:
        own = getattr(self.emulator, "receipt_pushes", None)
        if own is not None:  # an emulator that builds its own provider's pushes
            built: list[Outgoing] = own(deliveries, self.url, delivered=self.ok)
            return built
        kind = type(self.emulator).__name__
        if kind == "AliyunFake":
            rows = [aliyun_report(d.phone, d.biz_id, success=self.ok, err_code=_code(self.ok)) for d in deliveries]
            return [_json(self.url, rows)]
        if kind == "TencentFake":
            return [_json(self.url, [tencent_report(d.phone, d.serial_no, success=self.ok) for d in deliveries])]
        if kind == "HuaweiFake":
            return [
                self._huawei(huawei_report(d.sms_msg_id, d.phone, "DELIVRD" if self.ok else "UNDELIV"))
                for d in deliveries
            ]
        if kind == "FakeTwilio":
            token = self.emulator.auth_token
            state = "delivered" if self.ok else "undelivered"
            return [
                twilio_post(self.url, token, twilio_status(self.emulator.account_sid, d["sid"], d["To"], state))
                for d in deliveries
            ]
        if kind == "FakeVonage":
            return [
                self._vonage(
                    vonage_dlr(self.emulator.api_key, d["message-id"], d["to"], "delivered" if self.ok else "failed")
                )
                for d in deliveries
            ]
        if kind == "FakeSns":
            signer = self.sns or SnsSigner()
            state = "SUCCESS" if self.ok else "FAILURE"
            return [
                _json(self.url, signer.envelope(sns_delivery(d["MessageId"], d["PhoneNumber"], state)))
                for d in deliveries
            ]
        raise ValueError(f"no receipts for emulator {kind}")

    def _huawei(self, form: dict[str, str]) -> Outgoing:
        body = urlencode(form).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if self.aksk:
            key, secret = next(iter(self.emulator.credentials.items()))
            headers = huawei_signed(self.url, body, key, secret)
        return Outgoing("POST", self.url, headers, body)

    def _vonage(self, params: dict[str, str]) -> Outgoing:
        if self.signature_secret:
            params = vonage_signed(params, self.signature_secret)
        return Outgoing(
            "POST", self.url, {"Content-Type": "application/x-www-form-urlencoded"}, urlencode(params).encode()
        )


def _code(ok: bool) -> str:
    return "DELIVERED" if ok else "MK:0001"
