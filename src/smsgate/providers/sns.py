"""``sns``: AWS SNS ``Publish`` to a phone number, one number per request.

An AWS Query request (form body: ``Action=Publish``, ``PhoneNumber``, ``Message`` and the SMS
message attributes) signed with SigV4 by botocore's ``SigV4Auth`` (the ``aws`` extra); only the
signing is botocore's, the request goes through smsgate's transports. Answers are XML:
``PublishResponse`` with a ``MessageId``, or ``ErrorResponse`` with a ``Code``.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import Field, SecretStr

from .._errors import Category, ConfigError, InvalidRequest, Rejected, SmsError, Throttled
from .._http import HttpRequest, HttpResponse
from .._models import Message, Outgoing, RecipientResult
from .._phone import PhoneNumber
from .base import Provider, ProviderSettings

__all__ = ["SnsProvider", "SnsSettings"]

MAX_MESSAGE = 1600  # characters
_THROTTLING = frozenset({"Throttling", "ThrottlingException", "KMSThrottling", "TooManyRequestsException"})
_AUTH = frozenset(
    {
        "AuthorizationError",
        "AccessDenied",
        "AccessDeniedException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "MissingAuthenticationToken",
        "UnrecognizedClientException",
        "ExpiredToken",
        "RequestExpired",
        "OptInRequired",
        "InvalidSecurity",
    }
)
_INVALID_PARAMETER = frozenset({"InvalidParameter", "InvalidParameterValue", "ValidationError"})


class SnsSettings(ProviderSettings):
    access_key_id: str = Field(..., min_length=1, description="AWS access key ID")
    secret_access_key: SecretStr = Field(..., description="AWS secret access key")
    session_token: SecretStr | None = Field(None, description="STS session token, with temporary credentials")
    region: str = Field("us-east-1", min_length=1, description="AWS region, e.g. eu-west-1")
    sender_id: str | None = Field(None, description="alphanumeric sender ID (AWS.SNS.SMS.SenderID)")
    sms_type: Literal["Transactional", "Promotional"] | None = Field(
        "Transactional", description="AWS.SNS.SMS.SMSType; None leaves the account default"
    )
    origination_number: str | None = Field(None, description="E.164 number to send from (AWS.MM.SMS.OriginationNumber)")


class SnsProvider(Provider):
    """AWS SNS SMS. Settings: ``access_key_id``, ``secret_access_key``, ``region``; optional
    ``session_token``, ``sender_id``, ``sms_type``, ``origination_number``, ``endpoint``."""

    name = "sns"
    settings_model = SnsSettings
    max_recipients = 1
    takes_template = False
    takes_text = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        s: SnsSettings = self.settings
        self._url = f"{self.endpoint.base}/"
        self._signer = _signer(s)
        attributes = [
            ("AWS.SNS.SMS.SMSType", s.sms_type),
            ("AWS.SNS.SMS.SenderID", s.sender_id),
            ("AWS.MM.SMS.OriginationNumber", s.origination_number),
        ]
        self._attributes: dict[str, str] = {}
        for n, (key, value) in enumerate(((k, v) for k, v in attributes if v), start=1):
            entry = f"MessageAttributes.entry.{n}"
            self._attributes.update(
                {f"{entry}.Name": key, f"{entry}.Value.DataType": "String", f"{entry}.Value.StringValue": value}
            )

    def public_endpoint(self) -> str:
        return default_endpoint(self.settings.region)

    def check(self, message: Outgoing) -> None:
        super().check(message)
        for phone in message.phones:
            if len(message.render(phone)) > MAX_MESSAGE:
                raise InvalidRequest(f"the text for {phone.e164} is longer than {MAX_MESSAGE} characters", field="text")

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        (phone,) = recipients
        form = {
            "Action": "Publish",
            "Version": "2010-03-31",
            "PhoneNumber": phone.e164,
            "Message": message.render(phone),
            **self._attributes,
        }
        body = urlencode(form).encode()
        headers = self.sign(body)
        return self.request("POST", self._url, recipients, headers=headers, body=body)

    def sign(self, body: bytes) -> dict[str, str]:
        """The headers of a SigV4-signed POST of ``body``, dated by the injected clock."""
        from botocore.awsrequest import AWSRequest

        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        request = AWSRequest("POST", self._url, data=body, headers=headers)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self.clock()))
        request.context["timestamp"] = stamp
        request.headers["X-Amz-Date"] = stamp
        token = self.settings.session_token
        if token is not None:
            request.headers["X-Amz-Security-Token"] = token.get_secret_value()
        signer = self._signer
        canonical = signer.canonical_request(request)
        signature = signer.signature(signer.string_to_sign(request, canonical), request)
        signed = signer.signed_headers(signer.headers_to_sign(request))
        request.headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={signer.scope(request)}, SignedHeaders={signed}, Signature={signature}"
        )
        return dict(request.headers.items())

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        fields = _xml_fields(response.body)
        if response.status == 200 and fields.get("MessageId"):
            return [self.accepted(phone, fields["MessageId"], raw=response.text) for phone in request.recipients]
        raise self.error(response, fields)

    def error(self, response: HttpResponse, fields: dict[str, str]) -> SmsError:
        """The classified error for a non-success response."""
        return self.http_error(response, code=fields.get("Code"), text=fields.get("Message"), raw=response.text)

    def code_error(self, response: HttpResponse, code: str, text: str, kw: dict[str, Any]) -> SmsError | None:
        if code in _THROTTLING:
            return Throttled(f"throttled: {text or code}", retry_after=response.retry_after, **kw)
        if code in _AUTH:
            return Rejected(f"refused: {text or code}", category=Category.AUTH, **kw)
        if code in _INVALID_PARAMETER and "phone" in text.lower():
            return Rejected(f"refused: {text}", category=Category.RECIPIENT, **kw)
        return None


def default_endpoint(region: str) -> str:
    """SNS's public endpoint for ``region``."""
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"sns.{region}.{suffix}"


def _signer(settings: SnsSettings) -> Any:
    try:
        from botocore.auth import SigV4Auth
        from botocore.credentials import Credentials
    except ImportError:
        raise ConfigError("the sns provider needs botocore: pip install 'smsgate[aws]'") from None
    token = settings.session_token.get_secret_value() if settings.session_token else None
    credentials = Credentials(settings.access_key_id, settings.secret_access_key.get_secret_value(), token)
    return SigV4Auth(credentials, "sns", settings.region)


def _xml_fields(body: bytes) -> dict[str, str]:
    """Leaf elements of an SNS XML answer by local name (first wins); empty if it is not XML."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        return {}
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return {}
    fields: dict[str, str] = {}
    for element in root.iter():
        if len(element) == 0 and element.text is not None:
            fields.setdefault(element.tag.rsplit("}", 1)[-1], element.text.strip())
    return fields
