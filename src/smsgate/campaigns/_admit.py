"""Who may get a campaign's row, decided row by row: the country allowlist, the blocklist and
per-phone limits, all shared through the store (a gateway applies them to a whole message, so a
campaign's batches are admitted here instead, and the gateway it sends through keeps no limits)."""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._errors import InvalidRequest
from .._phone import PhoneNumber
from .._steps import Call
from ..policy.limits import PhoneLimits
from ..policy.lists import Blocklist
from ..providers.base import Provider
from ..stores.base import Store, Window
from ._sources import Row

if TYPE_CHECKING:
    from .._gateway import _GatewayCore

__all__ = ["NOT_SENT", "Policy", "admit"]

NOT_SENT = "\tnot sent"


@dataclass(frozen=True)
class Policy:
    """Per-row admission, shared by every process through the store."""

    store: Store
    limits: PhoneLimits | None = None
    blocklist: bool = False
    allows: Callable[[PhoneNumber], bool] | None = None
    clock: Callable[[], float] = field(default=lambda: 0.0)
    lease: float = 60.0
    concurrency: int = 8
    providers: Mapping[str, Provider] = field(default_factory=dict)  # asked about rows a lost run claimed
    settle_after: float = 60.0

    @classmethod
    def of(
        cls,
        gateway: _GatewayCore,
        store: Store,
        limits: PhoneLimits | None,
        lease: float,
        concurrency: int,
        settle_after: float = 60.0,
    ) -> Policy:
        if gateway.limits is not None:
            raise InvalidRequest(
                "the gateway has per-phone limits, which would count a whole batch: give them to the campaign "
                "(Campaign(limits=…)) and send through a gateway without",
                field="limits",
            )
        allows = gateway.allowlist.allows if gateway.allowlist is not None else None
        blocklist = gateway.blocklist_enabled
        providers = dict(gateway.providers)
        return cls(store, limits, blocklist, allows, gateway.clock, lease, concurrency, providers, settle_after)


def admit(
    policy: Policy, wave: dict[str, list[Row]], outcomes: dict[str, dict[int, str]], row_key: Callable[[int], str]
) -> Generator[Any, Any, dict[str, list[Row]]]:
    """The rows of each batch that every per-row rule admits; the others get their refusal.

    A row counts in its per-phone windows once: its claim (``row_key(row)``) is taken with the
    count, in one atomic ``admit``, so a row a lost run counted is admitted again, not counted twice."""
    refused: dict[int, str] = {}
    rows = [r for batch in wave.values() for r in batch]
    if policy.allows is not None:
        refused.update(
            (r.number, "46004 country not allowed") for r in rows if not policy.allows(PhoneNumber.parse(r.phone))
        )
        rows = [r for r in rows if r.number not in refused]
    if policy.blocklist and rows:
        found = yield Call(policy.store, "get_many", ([Blocklist.key(r.phone) for r in rows],))
        refused.update((r.number, "46004 blocklisted") for r, v in zip(rows, found, strict=True) if v is not None)
        rows = [r for r in rows if r.number not in refused]
    if policy.limits is not None and rows:
        now = policy.clock()
        windows = [policy.limits.windows(r.phone, now) for r in rows]
        calls: list[tuple[str, tuple[Any, ...]]] = [
            ("admit", ([], (row_key(r.number), "1", _ttl(ws)), [w for _, w in ws]))
            for r, ws in zip(rows, windows, strict=True)
        ]
        answers = yield Call(policy.store, "run", (calls,))
        for row, ws, refusal in zip(rows, windows, answers, strict=True):
            if refusal is not None and refusal.kind == "full":  # "claimed": counted by a lost run, not twice
                rule, (_, limit, _) = ws[refusal.detail]
                refused[row.number] = f"46004 send limit {rule}={limit} reached"
    admitted: dict[str, list[Row]] = {}
    for key, batch in wave.items():
        outcomes[key].update(
            (r.number, f"rejected\t{refused[r.number]}{NOT_SENT}") for r in batch if r.number in refused
        )
        admitted[key] = [r for r in batch if r.number not in refused]
    return admitted


def _ttl(windows: list[tuple[str, Window]]) -> float:
    """A row's claim outlives its windows."""
    return max((ttl for _, (_, _, ttl) in windows), default=86400.0)
