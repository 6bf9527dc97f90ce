"""Idempotency keys: a message already sent under a key returns its stored result, sending nothing.

The first send claims the key (``add``, atomic in every store) with a short-lived *pending*
marker; when it ends it stores its result for ``ttl`` (24 h by default) if anything may have
been delivered, and releases the key otherwise, so a send that reached nobody can be tried again.
A second send while the first is still running is refused (rule ``idempotency``).

With a send log, the claim is renewed, in the same write as the *pending* records and before any
request leaves, as :func:`sent_value`: the message id, and a lease of ``claim_ttl`` seconds,
kept for ``ttl``. A process that dies after its request left leaves that claim behind; once the
lease ran out, a retry with the key is answered from the send log (:func:`interrupted`: each
recipient accepted as the log shows it, or *unknown*), marked ``replayed``, and nothing is sent.

A key is tied to the message it was first used for (:func:`fingerprint`): the same key with a
different message is bad input (:class:`~smsgate.InvalidRequest` naming ``idempotency_key``),
never a replay of another message's result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from .. import _errors
from .._errors import InvalidRequest, OutcomeUnknown, SmsError
from .._models import Attempt, Message, RecipientResult, SendResult, Status
from .._phone import PhoneNumber

__all__ = [
    "Idempotency",
    "claim_parts",
    "claim_value",
    "decode_result",
    "encode_result",
    "fingerprint",
    "interrupted",
    "same_message",
    "sent_value",
]

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
    templates, sign_names, recipient_params = message.templates, message.sign_names, message.recipient_params
    content = [
        sorted([p if isinstance(p, str) else p.e164 for p in message.to]),
        message.template,
        message.text,
        sorted(message.params.items()),
        message.sign_name,
        sorted(templates.items()) if templates else [],  # empty for most messages: no sort
        sorted(sign_names.items()) if sign_names else [],
        message.param_order,
        sorted([(k, sorted(v.items())) for k, v in recipient_params.items()]) if recipient_params else [],
        message.out_id,
        message.extend_code,
    ]
    return hashlib.sha256(_FINGERPRINT_JSON.encode(content).encode()).hexdigest()[:32]


# json.dumps(content, ensure_ascii=False, default=str), without building its encoder each time;
# the digest's bytes must never change: claims outlive a process
_FINGERPRINT_JSON = json.JSONEncoder(ensure_ascii=False, default=str)


def claim_value(digest: str) -> str:
    """What a send in progress leaves under its key."""
    return f"{PENDING}:{digest}"


def sent_value(digest: str, message_id: str, lease_until: float) -> str:
    """What a send leaves under its key once a request may leave: it is ``message_id`` in the send
    log, and still running until ``lease_until`` (a timestamp)."""
    return f"{PENDING}:{digest}:{message_id}:{lease_until!r}"


def claim_parts(value: str) -> tuple[str, str | None, float | None]:
    """A claim's digest, and its message id and lease end when a request may have left."""
    _, digest, message_id, lease = [*value.split(":", 3), "", "", ""][:4]
    return digest, message_id or None, float(lease) if lease else None


def same_message(value: str, digest: str) -> str:
    """``value`` (a claim or a stored result) if it was made for the message ``digest``; else raise."""
    if value == PENDING or value.startswith(f"{PENDING}:"):
        _check(claim_parts(value)[0], digest)
    else:
        _check(orjson.loads(value).get("fingerprint"), digest)
    return value


def _check(found: str | None, digest: str) -> None:
    if found and found != digest:
        raise InvalidRequest("this idempotency_key was already used for a different message", field="idempotency_key")


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
    """The result as compact JSON (UTF-8 text, as the standard library's ``json`` with
    ``ensure_ascii=False`` wrote it before, which :func:`decode_result` still reads): recipients and
    attempts, without raw provider responses; ``digest`` is the :func:`fingerprint` of its message."""
    return orjson.dumps({**result.to_dict(), "fingerprint": digest}).decode()


def decode_result(text: str, digest: str | None = None) -> SendResult:
    """A :class:`SendResult` from :func:`encode_result`, marked ``replayed``; with ``digest``, it
    must have been stored for that message (as :func:`same_message` checks: one parse for both)."""
    data = orjson.loads(text)
    if digest is not None:
        _check(data.get("fingerprint"), digest)
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


def interrupted(message_id: str, phones: Sequence[PhoneNumber], accepted: Mapping[str, tuple[str, str]]) -> SendResult:
    """The answer for a key whose send stopped after a request may have left: each phone that
    ``accepted`` maps to ``(provider, provider message id)`` as accepted, every other *unknown*."""
    error = OutcomeUnknown("an earlier send with this idempotency key stopped before its outcome was recorded")
    recipients = tuple(
        RecipientResult(phone, Status.ACCEPTED, *accepted[phone.e164])
        if phone.e164 in accepted
        else RecipientResult(phone, Status.UNKNOWN, error=error)
        for phone in phones
    )
    return SendResult(recipients=recipients, message_id=message_id, replayed=True)
