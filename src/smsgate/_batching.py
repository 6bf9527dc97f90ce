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

from collections.abc import Awaitable, Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._errors import InvalidRequest, SmsError
from ._models import Attempt, Message, RecipientResult, SendResult, Sent
from ._phone import PhoneNumber, parser
from .providers.base import Provider

__all__ = ["Grouper", "Unit", "asend_unit", "grouper", "send_unit"]


@dataclass(slots=True)
class Unit:
    """One send of a bulk run: a message as given, a group merged (``members``: the messages as
    given, ``counts``: how many of the merged phones are each one's, in order), or a message
    refused before sending (``error``)."""

    message: Any  # a Message, unless the source yielded something else (then ``error`` says so)
    members: list[Message] | None = None
    counts: list[int] = field(default_factory=list)
    error: Exception | None = None
    given: Message | None = None  # the message as given, when ``message`` is its normalised copy

    @property
    def answers(self) -> Any:
        """The message a lone unit's :class:`Sent` names: the one the caller gave."""
        return self.message if self.given is None else self.given


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
    _members: list[Message] = field(default_factory=list)  # as given
    _counts: list[int] = field(default_factory=list)
    _phones: list[PhoneNumber] = field(default_factory=list)
    _params: list[Mapping[str, str]] = field(default_factory=list)  # each phone's, in a mixed group
    _seen: set[str] = field(default_factory=set)
    _key: Hashable = None
    _mixed: bool = False  # members differ in params: per-recipient params

    def __post_init__(self) -> None:
        self._parse = parser(self.region)

    @property
    def waiting(self) -> bool:
        """A partial group is held."""
        return bool(self._members)

    def add(self, message: Any) -> list[Unit]:
        """Take ``message``; the units now ready (none while a group fills)."""
        if self._members and not self._mixed and type(message) is Message and len(message.to) == 1:
            quick = self._joined(message)  # the usual case, first: one more phone for the group
            if quick is not None:
                return quick
        if not isinstance(message, Message):
            error = InvalidRequest(f"send_many takes Message objects, not a {type(message).__name__}", field="messages")
            return [Unit(message, error=error)]
        key = shape(message) if self.same > 1 else None
        if key is None:
            return [Unit(message)]
        try:
            phones, params, normal = self._parsed(message)
        except SmsError as exc:  # refused alone: the group goes on
            return [Unit(message, error=exc)]
        mixed = params is not None
        ready: list[Unit] = []
        if self._members:
            joined = self._mixed or mixed or message.params != self._members[0].params
            limit = self.per if joined else self.same
            if key == self._key and len(self._phones) + len(phones) <= limit and self._fresh(phones):
                self._join(message, phones, params, joined)
                return self._full(ready)
            ready.extend(self.flush())
        if len(phones) >= (self.per if mixed else self.same):  # nothing to gain from a group
            ready.append(Unit(message) if normal is None else Unit(normal, given=message))  # parsed once
            return ready
        self._key = key
        self._join(message, phones, params, mixed)
        return self._full(ready)

    def _joined(self, message: Message) -> list[Unit] | None:
        """A one-phone message with the group's params joined to it; ``None`` if it needs the long way."""
        if message.recipient_params or message.params != self._members[0].params or shape(message) != self._key:
            return None
        try:
            phone = self._parse(message.to[0])
        except SmsError:
            return None
        if phone.e164 in self._seen:
            return None
        self._members.append(message)
        self._counts.append(1)
        self._phones.append(phone)
        self._seen.add(phone.e164)
        return self.flush() if len(self._phones) >= self.same else []

    def _parsed(
        self, message: Message
    ) -> tuple[tuple[PhoneNumber, ...], list[Mapping[str, str]] | None, Message | None]:
        """The message's phones, each one's params when it has its own, and its normalised copy when
        one was made (raises as ``normalised``)."""
        if len(message.to) == 1 and not message.recipient_params and (message.template or message.text):
            try:
                return (self._parse(message.to[0]),), None, None
            except SmsError:
                pass  # normalised() raises it, worded as for any send
        normal = message.normalised(self.region)
        if not normal.recipient_params:
            return normal.phones, None, normal
        return normal.phones, [normal.params_for(p) for p in normal.phones], normal

    def _fresh(self, phones: tuple[PhoneNumber, ...]) -> bool:
        """None of ``phones`` is in the group yet: a group never holds a phone twice."""
        seen = self._seen
        if len(phones) == 1:
            return phones[0].e164 not in seen
        return not any([p.e164 in seen for p in phones])

    def _join(
        self, message: Message, phones: tuple[PhoneNumber, ...], params: list[Mapping[str, str]] | None, mixed: bool
    ) -> None:
        if mixed and not self._mixed:  # the group turns mixed: its members so far keep their params
            self._params = [m.params for m, n in zip(self._members, self._counts, strict=True) for _ in range(n)]
        if mixed:
            self._params.extend(params if params is not None else [message.params] * len(phones))
        self._members.append(message)
        self._counts.append(len(phones))
        self._phones.extend(phones)
        if len(phones) == 1:
            self._seen.add(phones[0].e164)
        else:
            self._seen.update([p.e164 for p in phones])
        self._mixed = mixed

    def _full(self, ready: list[Unit]) -> list[Unit]:
        if len(self._phones) >= (self.per if self._mixed else self.same):
            ready.extend(self.flush())
        return ready

    def flush(self) -> list[Unit]:
        """The partial group as a unit (none when empty)."""
        members, counts, phones, params = self._members, self._counts, tuple(self._phones), self._params
        if not members:
            return []
        self._members, self._counts, self._phones, self._params, self._seen = [], [], [], [], set()
        self._key = None
        if len(members) == 1:
            return [Unit(members[0])]
        first = members[0]
        per: dict[str, Mapping[str, str]] = {}
        if self._mixed:
            per = {p.e164: own for p, own in zip(phones, params, strict=True)}
        # the merged message is built normalised (as ``Message.normalised`` builds its copy): its
        # fields are the first member's, checked when it was made; the send parses nothing again
        merged = first._ready(phones, per, {} if self._mixed else None)  # mixed: every phone's params are its own
        self._mixed = False
        return [Unit(merged, members, counts)]


def split(unit: Unit, result: SendResult) -> Iterator[Sent]:
    """The group's result as one :class:`Sent` per member (its rows, the attempts that carried its
    phones), made as they are read: a member's objects die young."""
    assert unit.members is not None
    rows = result.recipients
    phones = unit.message.phones
    if len(rows) != len(phones) or any([r.phone.e164 != p.e164 for r, p in zip(rows, phones, strict=False)]):
        by_phone = {r.phone.e164: r for r in rows}  # the send's rows are in the message's order: a safeguard
        rows = tuple([by_phone[p.e164] for p in phones])
    total = len(phones)  # an attempt that carried every phone needs no lookup
    carried = [(a, None if len(a.phones) == total else frozenset(a.phones)) for a in result.attempts]
    offset = 0
    for message, count in zip(unit.members, unit.counts, strict=True):
        if count == 1:  # the usual member: one phone, no list to make
            own: tuple[RecipientResult, ...] = (rows[offset],)
            mine: tuple[str, ...] = (own[0].phone.e164,)
        else:
            own = rows[offset : offset + count]
            mine = tuple([r.phone.e164 for r in own])
        offset += count
        attempts = []
        for a, among in carried:
            tried = mine if among is None else tuple([p for p in mine if p in among])
            if tried:
                attempts.append(Attempt(a.provider, tried, a.status, a.error, a.started_at, a.elapsed, a.number))
        alone = SendResult(own, tuple(attempts), result.responses, result.message_id)
        alone.store_error = result.store_error
        yield Sent(message, alone)


def send_unit(unit: Unit, send: Callable[[Message], SendResult]) -> Iterable[Sent]:
    """Send one unit with ``send``; one :class:`Sent` per message in it."""
    if unit.error is not None:
        return [Sent(unit.answers, error=unit.error)]
    try:
        result = send(unit.message)
    except SmsError as exc:  # refused before anything left: each member on its own
        if unit.members is None:
            return [Sent(unit.answers, error=exc)]
        return [sent for member in unit.members for sent in send_unit(Unit(member), send)]
    except Exception as exc:
        return _failed(unit, exc)
    return split(unit, result) if unit.members is not None else [Sent(unit.answers, result)]


async def asend_unit(unit: Unit, send: Callable[[Message], Awaitable[SendResult]]) -> Iterable[Sent]:
    """The asyncio twin of :func:`send_unit`."""
    if unit.error is not None:
        return [Sent(unit.answers, error=unit.error)]
    try:
        result = await send(unit.message)
    except SmsError as exc:
        if unit.members is None:
            return [Sent(unit.answers, error=exc)]
        return [sent for member in unit.members for sent in await asend_unit(Unit(member), send)]
    except Exception as exc:
        return _failed(unit, exc)
    return split(unit, result) if unit.members is not None else [Sent(unit.answers, result)]


def _failed(unit: Unit, error: Exception) -> list[Sent]:
    """A failure before anything left (a store), for every message of the unit."""
    if unit.members is None:
        return [Sent(unit.answers, error=error)]
    return [Sent(member, error=error) for member in unit.members]
