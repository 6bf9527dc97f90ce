"""How the stores keep delivery reports and inbound messages: as compact JSON, without raw payloads."""

from __future__ import annotations

import json

from .._reports import DeliveryReport, DeliveryStatus, InboundMessage

__all__ = ["dump_inbound", "dump_report", "inbound_key", "load_inbound", "load_report"]


def dump_report(report: DeliveryReport) -> str:
    """A report as the stores keep it: JSON without ``raw`` and without ``message_id`` (kept apart)."""
    data = report.to_dict()
    del data["message_id"]
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def load_report(text: str | bytes, message_id: str | None) -> DeliveryReport:
    data = json.loads(text)
    data["status"] = DeliveryStatus(data["status"])
    return DeliveryReport(**data, message_id=message_id)


def dump_inbound(message: InboundMessage) -> str:
    return json.dumps(message.to_dict(), separators=(",", ":"), ensure_ascii=False)


def load_inbound(text: str | bytes) -> InboundMessage:
    return InboundMessage(**json.loads(text))


def inbound_key(message: InboundMessage) -> str | None:
    """What deduplicates an inbound message: provider and its id, when the provider gave one."""
    return None if message.provider_message_id is None else f"{message.provider}|{message.provider_message_id}"
