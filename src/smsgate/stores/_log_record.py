"""One line of the send log, :class:`LogRecord`, and its JSON form."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = ["LogRecord"]


@dataclass
class LogRecord:
    """One line of the send log: a message (``kind="message"``) or one request (``kind="attempt"``).

    ``status`` is ``"pending"`` until the outcome is known, then ``accepted``, ``rejected``,
    ``failed``, ``unknown`` (or ``partial`` for a message with mixed outcomes). ``error`` is the
    error's :meth:`~smsgate.SmsError.to_dict` (never a raw response); ``message_ids`` maps phone
    to the provider's message id; ``deliveries`` maps phone to its latest delivery status, as
    delivery reports told it (message records only, filled by the store).
    """

    id: str
    kind: str
    message_id: str
    phones: tuple[str, ...]
    status: str
    created_at: float
    updated_at: float
    provider: str | None = None
    number: int = 1
    error: dict[str, Any] | None = None
    message_ids: dict[str, str] = field(default_factory=dict)
    deliveries: dict[str, str] = field(default_factory=dict)

    def to_json(self, compact: bool = False) -> str:
        """The record as JSON, made by orjson (a bulk group's records hold thousands of phones).

        ``compact``: ``message_ids`` that give every phone the same id (SendSms answers a request
        with one id) are written as that id once, ``"every_message_id"``; :meth:`from_json` reads both.
        """
        data = vars(self)
        ids = self.message_ids
        if compact and len(ids) > 1 and len(ids) == len(self.phones):
            one = next(iter(ids.values()))
            if all([v == one for v in ids.values()]) and ids.keys() == set(self.phones):
                data = data | {"message_ids": {}, "every_message_id": one}
        try:
            return orjson.dumps(data).decode()
        except TypeError:  # something orjson declines (an integer past 64 bits): the standard library's
            return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    def copy(self) -> LogRecord:
        """A copy that shares nothing mutable with this record."""
        error = None if self.error is None else dict(self.error)
        return LogRecord(
            self.id,
            self.kind,
            self.message_id,
            self.phones,
            self.status,
            self.created_at,
            self.updated_at,
            self.provider,
            self.number,
            error,
            dict(self.message_ids),
            dict(self.deliveries),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> LogRecord:
        data = json.loads(text)
        data["phones"] = tuple(data["phones"])
        if "every_message_id" in data:
            data["message_ids"] = dict.fromkeys(data["phones"], data.pop("every_message_id"))
        return cls(**data)
