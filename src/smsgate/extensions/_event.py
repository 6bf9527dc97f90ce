"""Events and what their dispatch returns: one outcome per extension, never one hiding another."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._errors import InvalidRequest, SmsError
from .._models import SendResult

__all__ = ["SEND_SMS", "Event", "Outcome", "Outcomes"]

SEND_SMS = "SEND_SMS"
"""The tag an SMS extension listens for; ``data`` needs ``config_id`` and ``mobile``."""

REQUIRED_DATA: dict[str, tuple[str, ...]] = {SEND_SMS: ("config_id", "mobile")}


@dataclass(frozen=True)
class Event:
    """Something that happened in a tenant, for the extensions named in ``packages``.

    ``data`` is the event's payload; for ``SEND_SMS``: ``config_id`` and ``mobile`` (required),
    ``code``, ``areacode``, ``username`` and any further keys (template variables). Each listener
    receives its own copy of ``data``, so one that pops keys cannot break the next.
    """

    tag: str
    tenant: str
    packages: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)

    def __init__(
        self, tag: str, tenant: Any, packages: str | Iterable[str] = (), data: Mapping[str, Any] | None = None
    ) -> None:
        tenant_id = getattr(tenant, "id", tenant)
        if tenant_id is None or not str(tenant_id).strip():
            raise InvalidRequest("an event needs a tenant", field="tenant")
        if data is not None and not isinstance(data, Mapping):
            raise InvalidRequest("event data must be a mapping", field="data")
        set_ = object.__setattr__
        set_(self, "tag", tag)
        set_(self, "tenant", str(tenant_id))
        set_(self, "packages", (packages,) if isinstance(packages, str) else tuple(packages))
        set_(self, "data", dict(data or {}))

    def __repr__(self) -> str:  # data may hold one-time codes and passwords: keys only
        return f"Event(tag={self.tag!r}, tenant={self.tenant!r}, packages={self.packages}, data={sorted(self.data)})"

    def copy(self) -> Event:
        return Event(self.tag, self.tenant, self.packages, dict(self.data))

    def check(self) -> None:
        """Raise 46001 naming the first required ``data`` key this event's tag needs and lacks."""
        for key in REQUIRED_DATA.get(self.tag, ()):
            value = self.data.get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                raise InvalidRequest(f"{self.tag}: event data needs {key!r}", field=f"data.{key}")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one extension made of an event: its result, or the error it raised (typed)."""

    package: str
    result: Any = None
    error: SmsError | None = None

    @property
    def ok(self) -> bool:
        if self.error is not None:
            return False
        return self.result.ok if isinstance(self.result, SendResult) else True

    def to_dict(self) -> dict[str, Any]:
        result = self.result.to_dict() if isinstance(self.result, SendResult) else self.result
        return {
            "package": self.package,
            "ok": self.ok,
            "result": result,
            "error": self.error.to_dict() if self.error else None,
        }


class Outcomes:
    """Every targeted extension's :class:`Outcome`, in dispatch order; index by position or package."""

    def __init__(self, outcomes: Iterable[Outcome]) -> None:
        self._items = list(outcomes)

    def __iter__(self) -> Iterator[Outcome]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, key: int | str) -> Outcome:
        if isinstance(key, int):
            return self._items[key]
        for outcome in self._items:
            if outcome.package == key:
                return outcome
        raise KeyError(key)

    def __repr__(self) -> str:
        return f"Outcomes({[(o.package, 'ok' if o.ok else 'failed') for o in self._items]})"

    @property
    def ok(self) -> bool:
        """True when at least one extension ran and none failed."""
        return bool(self._items) and all(o.ok for o in self._items)

    @property
    def results(self) -> dict[str, Any]:
        """Package → result, for the extensions that succeeded."""
        return {o.package: o.result for o in self._items if o.ok}

    @property
    def errors(self) -> dict[str, SmsError]:
        return {o.package: o.error for o in self._items if o.error is not None}

    def raise_for_status(self) -> Outcomes:
        """Raise the first extension's error, if any failed."""
        for outcome in self._items:
            if outcome.error is not None:
                raise outcome.error
            if isinstance(outcome.result, SendResult):
                outcome.result.raise_for_status()
        return self
