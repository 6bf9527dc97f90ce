"""The push entry point: what an HTTP server received for a provider → reports, inbound messages
and the answer to give, or a typed error. Framework-free: any server can call it."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from typing import Any

from .._errors import ConfigError, InvalidRequest, NotAuthentic, SmsError
from ..stores.base import Store
from ._base import BAD_REQUEST, REFUSED, NotSupported, Push, ReceiptParser, ReceiptSettings, Received, Reply
from .aliyun import AliyunReceipts
from .azure import AzureReceipts
from .baidu import BaiduReceipts
from .bandwidth import BandwidthReceipts
from .chuanglan import ChuanglanReceipts
from .clickatell import ClickatellReceipts
from .huawei import HuaweiReceipts
from .infobip import InfobipReceipts
from .jdcloud import JdCloudReceipts
from .messagebird import MessageBirdReceipts
from .msg91 import Msg91Receipts
from .netease import NeteaseReceipts
from .plivo import PlivoReceipts
from .qiniu import QiniuReceipts
from .sinch import SinchReceipts
from .sns import SnsReceipts
from .submail import SubmailReceipts
from .telnyx import TelnyxReceipts
from .tencent import TencentReceipts
from .twilio import TwilioReceipts
from .ucloud import UCloudReceipts
from .volcengine import VolcengineReceipts
from .vonage import VonageReceipts
from .yunpian import YunpianReceipts

__all__ = ["PARSERS", "UNSUPPORTED", "parse_push", "receipt_parser", "replay_ttl", "replayed", "reply_for"]

PARSERS: dict[str, type[ReceiptParser]] = {
    cls.name: cls
    for cls in (
        AliyunReceipts,
        AzureReceipts,
        BaiduReceipts,
        BandwidthReceipts,
        ChuanglanReceipts,
        ClickatellReceipts,
        HuaweiReceipts,
        InfobipReceipts,
        JdCloudReceipts,
        MessageBirdReceipts,
        Msg91Receipts,
        NeteaseReceipts,
        PlivoReceipts,
        QiniuReceipts,
        SinchReceipts,
        SnsReceipts,
        SubmailReceipts,
        TelnyxReceipts,
        TencentReceipts,
        TwilioReceipts,
        UCloudReceipts,
        VolcengineReceipts,
        VonageReceipts,
        YunpianReceipts,
    )
}
UNSUPPORTED: dict[str, str] = {  # provider types with no documented receipts, and why
    "ctyun": "Ctyun documents no status-report push or query API for SMS",
    "ronglian": "Cloopen documents no status-report format or query API in its SDKs or API pages",
}
UNAVAILABLE = Reply(503, "text/plain", b"try again")
NOT_FOUND = Reply(404, "text/plain", b"not supported")


def receipt_parser(
    provider: str, settings: ReceiptSettings | Mapping[str, Any] | None = None, *, alias: str | None = None
) -> ReceiptParser:
    """The receipt parser of provider type ``provider``, configured with ``settings``."""
    if provider in UNSUPPORTED:
        raise NotSupported(f"receipts: {provider}: not supported by this provider ({UNSUPPORTED[provider]})",
                           provider=alias or provider, what="push")  # fmt: skip
    cls = PARSERS.get(provider)
    if cls is None:
        known = ", ".join(sorted(PARSERS))
        raise ConfigError(f"receipts: no receipt support for provider type {provider!r} (known: {known})")
    return cls(settings, alias=alias)


def parse_push(
    provider: str | ReceiptParser,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | str,
    settings: ReceiptSettings | Mapping[str, Any] | None = None,
    *,
    alias: str | None = None,
    seen: Store | None = None,
    clock: Callable[[], float] = time.time,
) -> Push:
    """Verify and parse one pushed request.

    ``provider`` is a provider type (``"twilio"``) or a configured :class:`ReceiptParser`;
    ``alias`` names the provider in the reports (the type by default). With ``seen`` (a store),
    a signed request seen before within the replay window is refused. Raises
    :class:`~smsgate.NotAuthentic` (46020) when the request is not authentic and
    :class:`~smsgate.InvalidRequest` (46001) when it cannot be read; :func:`reply_for` gives the
    answer for either.
    """
    parser = provider if isinstance(provider, ReceiptParser) else receipt_parser(provider, settings, alias=alias)
    received = Received.of(method, url, headers, body)
    now = clock()
    key = parser.verify(received, now)
    try:
        push = parser.parse(received, now)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidRequest(f"{parser.alias}: the pushed body cannot be read", field="body") from exc
    if key:
        push.replay_key = f"receipts:seen:{parser.alias}:{hashlib.sha256(key.encode()).hexdigest()}"
        if seen is not None and seen.add(push.replay_key, "1", replay_ttl(parser)) is not None:
            raise replayed(parser)
    return push


def replay_ttl(parser: ReceiptParser) -> float:
    """How long a signed request is remembered: past the window its timestamp is refused anyway."""
    return parser.settings.replay_window * 2


def replayed(parser: ReceiptParser) -> NotAuthentic:
    return parser.refuse("this request was received before (replay)", "replay")


def reply_for(error: SmsError) -> Reply:
    """The answer to a push that raised ``error``: 403 not authentic, 400 unreadable, 404 for a
    provider that does not push, 503 otherwise (a store that failed: the provider should push again)."""
    if isinstance(error, NotAuthentic):
        return REFUSED
    if isinstance(error, NotSupported):
        return NOT_FOUND
    if isinstance(error, InvalidRequest):
        return BAD_REQUEST
    return UNAVAILABLE
