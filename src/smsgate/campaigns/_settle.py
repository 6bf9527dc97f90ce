"""Settling rows a lost run claimed: ask the provider whether they arrived, before deciding.

A batch found claimed (*pending*) by a run lost while sending (a killed worker) may or may not
have reached the provider. Each batch's message carries a reference of its own (``out_id``: the
campaign, chunk and batch). Where a provider can be asked about a send by that reference
(Aliyun's ``QuerySendDetails`` by phone and day, matched on ``OutId``), each row is looked up once
the batch has been seen lost for ``settle_after`` seconds (time for what was on the wire to
arrive and be listed): found, the row is recorded *accepted*; found at no provider, and every
provider of the gateway could be asked, it is sent now. A provider without such a lookup leaves
its rows *unknown*, reported, never resent.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol, cast

from .._errors import Category, SmsError
from .._http import HttpRequest, HttpResponse
from ..providers.aliyun import AliyunProvider
from ..providers.base import Provider
from ._sources import Row
from ._state import PENDING

__all__ = ["LOOKUPS", "Ask", "Claim", "Lookup", "Settled", "settle"]

LOST = "the run that claimed this row was lost while sending: it may have been delivered"
BEIJING = timezone(timedelta(hours=8))
_ASK_AGAIN = frozenset({Category.UNKNOWN, Category.UNREACHABLE, Category.THROTTLED})


@dataclass(slots=True)
class Ask:
    """Make these lookup requests concurrently; the driver answers with the
    :class:`~smsgate.HttpResponse` or the exception raised, for each, in order."""

    requests: list[HttpRequest]


@dataclass(frozen=True)
class Claim:
    """A batch's claim: when each attempt to send it was claimed, and when a later run found it lost."""

    attempts: tuple[float, ...] = ()
    lost: float | None = None

    def encode(self) -> str:
        return f"{PENDING} " + json.dumps({"at": list(self.attempts), "lost": self.lost})

    @classmethod
    def decode(cls, text: str) -> Claim | None:
        """The claim in ``text``; ``None`` when ``text`` is a recorded outcome."""
        if text == PENDING:
            return cls()
        if not text.startswith(f"{PENDING} "):
            return None
        data = json.loads(text[len(PENDING) + 1 :])
        return cls(tuple(data.get("at") or ()), data.get("lost"))

    def days(self) -> list[str]:
        """The provider's days (Beijing) an attempt may be listed under."""
        times = [*self.attempts, *([self.lost] if self.lost is not None else [])]
        return sorted({datetime.fromtimestamp(t, BEIJING).strftime("%Y%m%d") for t in times})


class Lookup(Protocol):
    """How to ask one kind of provider whether a send carrying ``out_id`` reached ``phone``."""

    def requests(self, provider: Provider, phone: str, out_id: str, days: Sequence[str]) -> list[HttpRequest]: ...

    def found(self, provider: Provider, request: HttpRequest, response: HttpResponse, out_id: str) -> bool: ...


class AliyunLookup:
    """``QuerySendDetails`` by phone and day (50 records a page: a phone's sends of one day)."""

    def requests(self, provider: Provider, phone: str, out_id: str, days: Sequence[str]) -> list[HttpRequest]:
        aliyun = cast(AliyunProvider, provider)
        return [aliyun.query_request(phone, day, page_size=50) for day in days]

    def found(self, provider: Provider, request: HttpRequest, response: HttpResponse, out_id: str) -> bool:
        records = cast(AliyunProvider, provider).parse_details(request, response)
        return any(record.out_id == out_id for record in records)


LOOKUPS: dict[str, Lookup] = {"aliyun": AliyunLookup()}
"""Provider type → its lookup by caller reference."""


@dataclass
class Settled:
    """What settling found: per batch, the rows' outcomes decided and the rows to send again;
    ``later``: seconds until the batches left pending can be decided (``None``: none left)."""

    outcomes: dict[str, dict[int, str]] = field(default_factory=dict)
    resend: dict[str, list[Row]] = field(default_factory=dict)
    writes: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    later: float | None = None

    def wait(self, seconds: float) -> None:
        self.later = seconds if self.later is None else min(self.later, seconds)


def settle(
    providers: Mapping[str, Provider],
    lost: dict[str, tuple[list[Row], Claim, str]],
    now: float,
    settle_after: float,
) -> Generator[Any, Any, Settled]:
    """Decide the rows of ``lost`` batches (key → rows, claim, out_id) that can be decided now."""
    settled = Settled()
    asked = {alias: p for alias, p in providers.items() if p.name in LOOKUPS}
    if not asked:  # nobody to ask: what may have been delivered stays unknown
        settled.outcomes = {key: {r.number: f"unknown\t{LOST}" for r in rows} for key, (rows, _, _) in lost.items()}
        return settled
    due: dict[str, tuple[list[Row], Claim, str]] = {}
    for key, (rows, claim, out_id) in lost.items():
        if claim.lost is None:  # first seen lost: give what was on the wire time to arrive
            settled.writes.append(("set", (key, Claim(claim.attempts or (now,), now).encode())))
            settled.wait(settle_after)
        elif now < claim.lost + settle_after:
            settled.wait(claim.lost + settle_after - now)
        else:
            due[key] = (rows, claim, out_id)
    if not due:
        return settled
    questions = [
        (key, row, alias, request)
        for key, (rows, claim, out_id) in due.items()
        for row in rows
        for alias, provider in asked.items()
        for request in LOOKUPS[provider.name].requests(provider, row.phone, out_id, claim.days())
    ]
    answers = yield Ask([request for *_, request in questions])
    found: set[tuple[str, int]] = set()
    failed: dict[str, str] = {}
    for (key, row, alias, request), answer in zip(questions, answers, strict=True):
        provider = asked[alias]
        try:
            if isinstance(answer, BaseException):
                raise answer
            if LOOKUPS[provider.name].found(provider, request, answer, due[key][2]):
                found.add((key, row.number))
        except (SmsError, OSError) as exc:
            retryable = isinstance(exc, OSError) or exc.retryable or exc.category in _ASK_AGAIN
            failed[key] = "" if retryable else f"could not be looked up at {alias}: {type(exc).__name__}"
    complete = len(asked) == len(providers)
    for key, (rows, claim, _) in due.items():
        if failed.get(key) == "":  # the provider could not answer now: ask again later
            settled.wait(settle_after)
            continue
        outcomes = settled.outcomes.setdefault(key, {})
        resend = []
        for row in rows:
            if (key, row.number) in found:
                outcomes[row.number] = "accepted"
            elif complete and key not in failed:
                resend.append(row)
            else:
                outcomes[row.number] = f"unknown\t{failed.get(key) or LOST}"
        if resend:
            settled.resend[key] = resend
            settled.writes.append(("set", (key, Claim((*claim.attempts, now)).encode())))
    return settled
