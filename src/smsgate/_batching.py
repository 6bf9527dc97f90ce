"""Grouping for ``send_many``: consecutive messages that can share a request are sent as one.

Messages of the same shape (template, sign name, text, per-provider overrides, ``out_id``,
extend code; no idempotency key of their own) are merged, up to the providers' limits:

* equal params: one message to every member's phones, at most ``max_recipients``;
* different params (or a member's own ``recipient_params``): per-recipient params, when every
  provider takes them (``per_recipient_params``), at most ``batch_max_recipients``.

A group never holds a phone twice, so each member's phones are counted and sent as its own. The
group's :class:`SendResult` is split back: each member gets its own :class:`Sent`, its own rows and
the attempts that carried its phones. A member that cannot be sent (a bad number, no template) is
refused alone, before it joins a group. A group refused before anything left (a policy, a limit,
no provider able to take it) is sent again member by member, so each refusal lands on its own
message; once anything may have left, the group's result stands (an unknown outcome is reported
for each member, never resent).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._errors import InvalidRequest, SmsError
from ._models import Attempt, Message, SendResult, Sent
from ._phone import PhoneNumber
from .providers.base import Provider

__all__ = ["Grouper", "Unit", "asend_unit", "grouper", "send_unit"]


@dataclass(slots=True)
class Unit:
    """One send of a bulk run: a message as given, or a group merged (``members``: each message as
    given with its phones in E.164), or a message refused before sending (``error``)."""

    message: Any  # a Message, unless the source yielded something else (then ``error`` says so)
    members: list[tuple[Message, tuple[str, ...]]] | None = None
    error: Exception | None = None


def shape(message: Message) -> Hashable | None:
    """What members of a group share; ``None`` for a message sent on its own."""
    if message.idempotency_key is not None:
        return None
    templates = tuple(message.templates.items()) if message.templates else ()
    signs = tuple(message.sign_names.items()) if message.sign_names else ()
    order = message.param_order
    return (message.template, message.sign_name, message.text, templates, signs, order, message.out_id,
            message.extend_code, message.secret_params)  # fmt: skip


def grouper(providers: Mapping[str, Provider], names: Sequence[str] | None, region: str, enabled: bool) -> Grouper:
    """The grouper for sends through ``names`` (every provider when ``None``): their tightest limits."""
    chosen = [providers[n] for n in (list(providers) if names is None else names) if n in providers]
    if not enabled or not chosen:
        return Grouper(1, 0, region)
    same = min(p.max_recipients for p in chosen)
    per = min(p.batch_max_recipients or p.max_recipients for p in chosen)
    return Grouper(same, per if all(p.per_recipient_params for p in chosen) else 0, region)


@dataclass
class Grouper:
    """Collects messages into groups: :meth:`add` and :meth:`flush` hand back the units to send."""

    same: int  # most phones in a group of equal params (1: no grouping)
    per: int  # most phones in a group with per-recipient params (0: no such groups)
    region: str
    _members: list[tuple[Message, Message]] = field(default_factory=list)  # (as given, normalised)
    _phones: list[PhoneNumber] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)
    _key: Hashable = None
    _mixed: bool = False  # members differ in params: per-recipient params

    @property
    def waiting(self) -> bool:
        """A partial group is held."""
        return bool(self._members)

    def add(self, message: Any) -> list[Unit]:
        """Take ``message``; the units now ready (none while a group fills)."""
        if not isinstance(message, Message):
            error = InvalidRequest(f"send_many takes Message objects, not a {type(message).__name__}", field="messages")
            return [Unit(message, error=error)]
        key = shape(message) if self.same > 1 else None
        if key is None:
            return [Unit(message)]
        try:
            normal = message.normalised(self.region)
        except SmsError as exc:  # refused alone: the group goes on
            return [Unit(message, error=exc)]
        phones = normal.phones
        mixed = bool(normal.recipient_params)
        ready: list[Unit] = []
        if self._members:
            first = self._members[0][1]
            joined = self._mixed or mixed or normal.params != first.params
            limit = self.per if joined else self.same
            e164 = [p.e164 for p in phones]
            if key == self._key and len(self._phones) + len(phones) <= limit and self._seen.isdisjoint(e164):
                self._join(message, normal, joined)
                return self._full(ready)
            ready.extend(self.flush())
        if len(phones) >= (self.per if mixed else self.same):  # nothing to gain from a group
            ready.append(Unit(message))
            return ready
        self._key = key
        self._join(message, normal, mixed)
        return self._full(ready)

    def _join(self, message: Message, normal: Message, mixed: bool) -> None:
        self._members.append((message, normal))
        self._phones.extend(normal.phones)
        self._seen.update([p.e164 for p in normal.phones])
        self._mixed = mixed

    def _full(self, ready: list[Unit]) -> list[Unit]:
        if len(self._phones) >= (self.per if self._mixed else self.same):
            ready.extend(self.flush())
        return ready

    def flush(self) -> list[Unit]:
        """The partial group as a unit (none when empty)."""
        members, phones = self._members, tuple(self._phones)
        if not members:
            return []
        self._members, self._phones, self._seen, self._key = [], [], set(), None
        first = members[0][1]
        if len(members) == 1:
            return [Unit(members[0][0])]
        per: dict[str, Mapping[str, str]] = {}
        if self._mixed:
            per = {p.e164: m.params_for(p) for _, m in members for p in m.phones}
        merged = first._checked(phones, per)  # normalised: the send parses nothing again
        if self._mixed:
            vars(merged)["params"] = {}  # each phone's params are all in ``recipient_params``
        return [Unit(merged, [(given, tuple([p.e164 for p in m.phones])) for given, m in members])]


def split(unit: Unit, result: SendResult) -> list[Sent]:
    """The group's result as one :class:`Sent` per member: its rows, the attempts that carried its phones."""
    assert unit.members is not None
    rows = {r.phone.e164: r for r in result.recipients}
    carried = [(a, frozenset(a.phones)) for a in result.attempts]
    out = []
    for message, phones in unit.members:
        attempts = []
        for attempt, among in carried:
            mine = tuple([p for p in phones if p in among])
            if mine:
                a = attempt
                attempts.append(Attempt(a.provider, mine, a.status, a.error, a.started_at, a.elapsed, a.number))
        own = SendResult(tuple([rows[p] for p in phones]), tuple(attempts), result.responses, result.message_id)
        own.store_error = result.store_error
        out.append(Sent(message, own))
    return out


def send_unit(unit: Unit, send: Callable[[Message], SendResult]) -> list[Sent]:
    """Send one unit with ``send``; one :class:`Sent` per message in it."""
    if unit.error is not None:
        return [Sent(unit.message, error=unit.error)]
    try:
        result = send(unit.message)
    except SmsError as exc:  # refused before anything left: each member on its own
        if unit.members is None:
            return [Sent(unit.message, error=exc)]
        return [sent for member, _ in unit.members for sent in send_unit(Unit(member), send)]
    except Exception as exc:
        return _failed(unit, exc)
    return split(unit, result) if unit.members is not None else [Sent(unit.message, result)]


async def asend_unit(unit: Unit, send: Callable[[Message], Awaitable[SendResult]]) -> list[Sent]:
    """The asyncio twin of :func:`send_unit`."""
    if unit.error is not None:
        return [Sent(unit.message, error=unit.error)]
    try:
        result = await send(unit.message)
    except SmsError as exc:
        if unit.members is None:
            return [Sent(unit.message, error=exc)]
        return [sent for member, _ in unit.members for sent in await asend_unit(Unit(member), send)]
    except Exception as exc:
        return _failed(unit, exc)
    return split(unit, result) if unit.members is not None else [Sent(unit.message, result)]


def _failed(unit: Unit, error: Exception) -> list[Sent]:
    """A failure before anything left (a store), for every message of the unit."""
    if unit.members is None:
        return [Sent(unit.message, error=error)]
    return [Sent(member, error=error) for member, _ in unit.members]
