"""Idempotency keys: a message already sent under a key returns its stored result, sending nothing.

The first send claims the key (``add``, atomic in every store) with a short-lived *pending*
marker; when it ends it stores its result for ``ttl`` (24 h by default) if anything may have
been delivered, and releases the key otherwise, so a send that reached nobody can be tried again.
A second send while the first is still running is refused (rule ``idempotency``).

A key is tied to the message it was first used for (:func:`fingerprint`): the same key with a
different message is bad input (:class:`~smsgate.InvalidRequest` naming ``idempotency_key``),
never a replay of another message's result.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from .. import _errors
from .._errors import InvalidRequest, SmsError
from .._models import Attempt, Message, RecipientResult, SendResult, Status
from .._phone import PhoneNumber

__all__ = ["Idempotency", "claim_value", "decode_result", "encode_result", "fingerprint", "same_message"]

PENDING = "pending"


@dataclass(frozen=True)
class Idempotency:
    """``ttl``: how long a result is replayed; ``claim_ttl``: how long an unfinished claim blocks the key."""

    ttl: float = 86400.0
    claim_ttl: float = 300.0

    @staticmethod
    def key(idempotency_key: str) -> str:
        return f"idem:{idempotency_key}"


def fingerprint(message: Message) -> str:
    """A digest of what ``message`` sends (recipients, template or text, params, overrides): equal
    for a resend of the same message, different for any other."""
    content = [
        sorted(p if isinstance(p, str) else p.e164 for p in message.to),
        message.template,
        message.text,
        sorted(message.params.items()),
        message.sign_name,
        sorted(message.templates.items()),
        sorted(message.sign_names.items()),
        message.param_order,
        sorted((k, sorted(v.items())) for k, v in message.recipient_params.items()),
        message.out_id,
        message.extend_code,
    ]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, default=str).encode()).hexdigest()[:32]


def claim_value(digest: str) -> str:
    """What a send in progress leaves under its key."""
    return f"{PENDING}:{digest}"


def same_message(value: str, digest: str) -> str:
    """``value`` (a claim or a stored result) if it was made for the message ``digest``; else raise."""
    if value == PENDING or value.startswith(f"{PENDING}:"):
        found = value.partition(":")[2]
    else:
        found = str(json.loads(value).get("fingerprint") or "")
    if found and found != digest:
        raise InvalidRequest("this idempotency_key was already used for a different message", field="idempotency_key")
    return value


def _error_from(data: dict[str, Any] | None) -> SmsError | None:
    if data is None:
        return None
    cls = getattr(_errors, str(data.get("error")), None)
    if not (isinstance(cls, type) and issubclass(cls, SmsError)):
        cls = SmsError
    error = cls.__new__(cls)
    Exception.__init__(error, data["message"])
    error.__dict__.update(
        message=data["message"],
        provider=data.get("provider"),
        provider_code=data.get("provider_code"),
        provider_message=data.get("provider_message"),
        category=_errors.Category(data["category"]),
        retryable=bool(data.get("retryable")),
        retry_after=data.get("retry_after"),
        raw=None,
    )
    return error


def encode_result(result: SendResult, digest: str = "") -> str:
    """The result as JSON: recipients and attempts, without raw provider responses; ``digest`` is
    the :func:`fingerprint` of its message."""
    return json.dumps({**result.to_dict(), "fingerprint": digest}, separators=(",", ":"), ensure_ascii=False)


def decode_result(text: str) -> SendResult:
    """A :class:`SendResult` from :func:`encode_result`, marked ``replayed``."""
    data = json.loads(text)
    recipients = tuple(
        RecipientResult(
            PhoneNumber.parse(row["phone"]),
            Status(row["status"]),
            row.get("provider"),
            message_id=row.get("message_id"),
            error=_error_from(row.get("error")),
        )
        for row in data["recipients"]
    )
    attempts = tuple(
        Attempt(
            provider=a["provider"],
            phones=tuple(a["phones"]),
            status=Status(a["status"]),
            error=_error_from(a.get("error")),
            started_at=a.get("started_at", 0.0),
            elapsed=a.get("elapsed", 0.0),
            number=a.get("number", 1),
        )
        for a in data.get("attempts", [])
    )
    return SendResult(recipients=recipients, attempts=attempts, message_id=data["message_id"], replayed=True)


def worth_keeping(result: SendResult) -> bool:
    """Whether a resend could double-send: some recipient was accepted or may have been."""
    return any(r.status in (Status.ACCEPTED, Status.UNKNOWN) for r in result.recipients)
