"""What the development sinks record for each delivered SMS."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from .._models import Message
from .._phone import PhoneNumber

__all__ = ["MASK", "Outbox", "OutboxEntry"]

MASK = "******"


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One SMS as a sink delivered it: to whom, which template or text, with which params."""

    to: str
    provider: str
    template: str | None
    sign_name: str | None
    params: dict[str, str]
    text: str | None
    message_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    sent_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="milliseconds"))
    out_id: str | None = None

    @classmethod
    def of(cls, message: Message, phone: PhoneNumber, provider: str, kind: str, *, reveal: bool = True) -> OutboxEntry:
        """The entry for ``phone``; with ``reveal=False``, the message's ``secret_params`` masked."""
        if not reveal and message.secret_params:
            message = message.replace(
                params=_masked(message.params, message.secret_params),
                recipient_params={k: _masked(v, message.secret_params) for k, v in message.recipient_params.items()},
            )
        text = message.render(phone) if message.text is not None else None
        return cls(
            to=phone.e164,
            provider=provider,
            template=message.template_for(provider, kind),
            sign_name=message.sign_name_for(provider, kind),
            params=message.params_for(phone),
            text=text,
            out_id=message.out_id,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __repr__(self) -> str:  # params may hold one-time codes
        return f"OutboxEntry(to={self.to!r}, template={self.template!r}, provider={self.provider!r})"


def _masked(params: Mapping[str, str], secret: frozenset[str]) -> dict[str, str]:
    return {name: MASK if name in secret else value for name, value in params.items()}


class Outbox(list[OutboxEntry]):
    """The messages a sink delivered, in order, with a few lookups for tests."""

    @property
    def last(self) -> OutboxEntry:
        if not self:
            raise AssertionError("no SMS was sent")
        return self[-1]

    def to(self, phone: str) -> list[OutboxEntry]:
        """Entries sent to ``phone`` (any format the parser accepts)."""
        e164 = PhoneNumber.parse(phone).e164
        return [entry for entry in self if entry.to == e164]
