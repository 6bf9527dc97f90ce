"""What the emulators push after a send: delivery receipts and inbound messages in each
provider's real shape, signed the way the provider signs them, POSTed to a URL.

Each emulator builds its own provider's pushes (``receipt_pushes``, with the row builders next to
it, e.g. :func:`~smsgate.emulators.aliyun.aliyun_report`); the signing follows the spec's reference
algorithms (provider-specs-2 §21, §23.0), written independently of :mod:`smsgate.receipts`, so that
a test of one checks the other. :class:`ReceiptPusher` pushes a receipt for every new delivery of an
emulator; :class:`SnsSigner` holds an RSA key and serves its certificate, as ``SigningCertURL`` does.
The builders of the first six providers are importable from here too.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from ._outgoing import Outgoing
from .aliyun import aliyun_report, aliyun_up
from .huawei import huawei_report, huawei_signed
from .sns import SnsSigner, sns_delivery
from .tencent import tencent_reply, tencent_report
from .twilio import twilio_inbound, twilio_post, twilio_sig, twilio_status
from .vonage import vonage_dlr, vonage_sig, vonage_signed

__all__ = [
    "Outgoing",
    "ReceiptPusher",
    "SnsSigner",
    "aliyun_report",
    "aliyun_up",
    "huawei_report",
    "huawei_signed",
    "sns_delivery",
    "tencent_reply",
    "tencent_report",
    "twilio_inbound",
    "twilio_post",
    "twilio_sig",
    "twilio_status",
    "vonage_dlr",
    "vonage_sig",
    "vonage_signed",
]


class ReceiptPusher:
    """Pushes a delivery receipt to ``url`` for every delivery ``emulator`` made since the last push.

    The emulator's ``receipt_pushes(deliveries, url, delivered=…)`` builds them in its provider's
    shape and signature. Some take an option, passed when they do: Vonage signs with
    ``signature_secret`` when given, Huawei signs with AK/SK when ``aksk``, SNS envelopes are signed
    by ``sns`` (an :class:`SnsSigner`, serving its certificate). ``status`` is the outcome reported:
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
        self.options: dict[str, Any] = {"signature_secret": signature_secret, "aksk": aksk, "sns": sns}
        self.pushed = 0

    def push_new(self) -> list[int]:
        """Push what is new; the receiver's HTTP status for each push."""
        new = list(self.emulator.delivered[self.pushed :])
        self.pushed += len(new)
        if not new:
            return []
        return [out.send()[0] for out in self.outgoing(new)]

    def outgoing(self, deliveries: Sequence[Any]) -> list[Outgoing]:
        """The pushes reporting ``deliveries``, built by the emulator."""
        build = getattr(self.emulator, "receipt_pushes", None)
        if build is None:
            raise ValueError(f"no receipts for emulator {type(self.emulator).__name__}")
        takes = inspect.signature(build).parameters
        options = {name: value for name, value in self.options.items() if name in takes}
        built: list[Outgoing] = build(deliveries, self.url, delivered=self.ok, **options)
        return built
