"""Delivery receipts and inbound messages: pushed (verified as each provider signs them) or pulled.

* :func:`parse_push`: what an HTTP server received for a provider → :class:`~smsgate.DeliveryReport`
  and :class:`~smsgate.InboundMessage` values and the answer to give, or
  :class:`~smsgate.NotAuthentic`. Framework-free.
* :class:`Receipts`: the same for a set of providers, recorded in the send log, with
  ``on_delivery``/``on_inbound`` hooks and STOP handling.
* :func:`poll_reports` / :func:`apoll_reports`: ask providers with a query API, resumable.
* :class:`NotSupported`: what a provider without a documented push or query API answers.
"""

from __future__ import annotations

from ._base import NotSupported, Pending, Push, ReceiptParser, ReceiptSettings, Received, Reply
from ._handler import STOP_KEYWORDS, Handled, Receipts, is_stop
from ._pull import Poll, apoll_reports, poll_reports
from ._push import PARSERS, parse_push, receipt_parser, reply_for

__all__ = [
    "PARSERS",
    "STOP_KEYWORDS",
    "Handled",
    "NotSupported",
    "Pending",
    "Poll",
    "Push",
    "ReceiptParser",
    "ReceiptSettings",
    "Receipts",
    "Received",
    "Reply",
    "apoll_reports",
    "is_stop",
    "parse_push",
    "poll_reports",
    "receipt_parser",
    "reply_for",
]
