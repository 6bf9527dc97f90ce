"""``Campaign``: a named bulk send from a source, its state in the store, run here or by workers."""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import InvalidRequest
from .._message import _frozen_params
from .._models import new_id
from .._steps import Call
from ..policy.limits import PhoneLimits
from ..stores.base import Store
from ._admit import Policy
from ._drive import adrive, drive
from ._flow import Chunk, Spec, Tally, chunk_flow, finish_flow, queue_flow
from ._sources import Reject, Row, Source
from ._state import FAILED, PAUSED, RUNNING, CampaignState, Keys, run_sync, state_flow

if TYPE_CHECKING:
    from .._gateway import AsyncGateway, Gateway, _GatewayCore

__all__ = ["Campaign"]

Dispatch = Callable[[Chunk], Generator[Any, Any, Tally]]
OnChunk = Callable[[Chunk, Tally], None]


class Campaign:
    """A bulk send: every row of ``source`` gets the template, with its own params.

    ``source`` is a CSV file (a ``phone`` column, one column per param), a JSON lines file
    (``.jsonl``), or an iterable of mappings, ``(phone, params)`` pairs or phones. Each row is sent
    at most once, whatever is run again: resume a campaign with its ``id`` (or
    :meth:`resume`), and rows already sent, rejected or of unknown outcome are skipped.
    ``limits`` are per-phone limits counted per row, shared through the store. Rows a lost run
    (a killed worker) claimed are looked up at the provider ``settle_after`` seconds after they
    are found lost, then recorded or sent (see ``docs/campaigns.md``).
    """

    def __init__(
        self,
        source: str | Path | Source | Iterable[Any],
        *,
        template: str | None = None,
        text: str | None = None,
        params: Mapping[str, Any] | None = None,
        sign_name: str | None = None,
        templates: Mapping[str, str] | None = None,
        sign_names: Mapping[str, str] | None = None,
        name: str | None = None,
        id: str | None = None,
        start_at: float | None = None,
        phone_column: str = "phone",
        param_columns: Sequence[str] | None = None,
        limits: PhoneLimits | None = None,
        chunk_size: int = 1000,
        batch_size: int = 100,
        concurrency: int = 8,
        lease: float = 60.0,
        settle_after: float = 60.0,
    ) -> None:
        if not (template or text or templates):
            raise InvalidRequest("a campaign needs a template code or a text", field="template")
        self.id = id or new_id()[-16:]  # the random half
        self.source = (
            source
            if isinstance(source, Source)
            else Source.of(source, phone_column=phone_column, param_columns=param_columns)
        )
        self.name = name or (Path(self.source.path).name if self.source.path else self.id)
        self.spec = Spec(
            self.id,
            template,
            text,
            _frozen_params(params, "params"),
            sign_name,
            dict(templates or {}),
            dict(sign_names or {}),
            max(1, batch_size),
        )
        self.start_at = start_at
        self.limits = limits
        self.chunk_size = max(1, chunk_size)
        self.concurrency = max(1, concurrency)
        self.lease = lease
        self.settle_after = settle_after

    def __repr__(self) -> str:
        return f"<Campaign {self.id} {self.name!r}>"

    # -- what the store keeps ---------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        spec = asdict(self.spec)
        del spec["id"]
        return {
            "name": self.name,
            **spec,
            "source": self.source.to_dict(),
            "start_at": self.start_at,
            "limits": None if self.limits is None else asdict(self.limits),
            "chunk_size": self.chunk_size,
            "concurrency": self.concurrency,
            "lease": self.lease,
            "settle_after": self.settle_after,
        }

    @classmethod
    def from_dict(cls, campaign_id: str, data: Mapping[str, Any], rows: Iterable[Any] | None = None) -> Campaign:
        source = Source.from_dict(data["source"])
        if rows is not None:
            source = Source(None, "rows", source.phone_column, source.param_columns, rows)
        limits = data.get("limits")
        keep = (
            "template",
            "text",
            "params",
            "sign_name",
            "templates",
            "sign_names",
            "name",
            "start_at",
            "chunk_size",
            "batch_size",
            "concurrency",
            "lease",
            "settle_after",
        )
        return cls(
            source,
            id=campaign_id,
            limits=PhoneLimits(**limits) if limits else None,
            **{k: data[k] for k in keep if k in data},
        )

    @classmethod
    def resume(cls, campaign_id: str, store: Store, rows: Iterable[Any] | None = None) -> Campaign:
        """The campaign ``campaign_id`` as created, to run again (pass ``rows`` if they came from Python)."""
        state = run_sync(state_flow(store, campaign_id))  # raises when there is no such campaign
        return cls.from_dict(campaign_id, state.spec, rows)

    def record(self, store: Store, now: float) -> None:
        """Record the campaign in ``store`` now (running it records it too), so it can be looked up."""
        run_sync(_create(store, Keys(self.id), self, now))

    # -- the source, in chunks ----------------------------------------------------------------

    def chunks(self, region: str | None = None) -> Iterator[Chunk]:
        """The source cut into chunks of ``chunk_size`` rows (the same chunks on every run)."""
        rows: list[Row] = []
        rejects: list[Reject] = []
        number = 0
        for item in self.source.read(region):
            (rows if isinstance(item, Row) else rejects).append(item)  # type: ignore[arg-type]
            if len(rows) + len(rejects) == self.chunk_size:
                yield Chunk(number, tuple(rows), tuple(rejects))
                rows, rejects, number = [], [], number + 1
        if rows or rejects:
            yield Chunk(number, tuple(rows), tuple(rejects))

    # -- running -----------------------------------------------------------------------------

    def run(
        self,
        gateway: Gateway,
        *,
        store: Store | None = None,
        stop: Callable[[], bool] | None = None,
        on_chunk: OnChunk | None = None,
    ) -> CampaignState:
        """Send every row not sent yet, here, blocking; returns the campaign's state.

        ``store`` keeps the campaign (default: the gateway's store). ``stop()`` is asked between
        chunks: when true, the campaign is paused, resumable. ``on_chunk(chunk, tally)`` follows progress.
        """
        store = _store(gateway, store)
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="smsgate-campaign") as pool:
            policy = self.policy(gateway, store)
            flow = self.flow(
                gateway, store, lambda chunk: chunk_flow(self.spec, policy, chunk, Keys(self.id)), stop, on_chunk
            )
            return drive(flow, gateway, pool)  # type: ignore[no-any-return]

    async def arun(
        self,
        gateway: AsyncGateway,
        *,
        store: Store | None = None,
        stop: Callable[[], bool] | None = None,
        on_chunk: OnChunk | None = None,
    ) -> CampaignState:
        """The asyncio twin of :meth:`run`."""
        store = _store(gateway, store)
        policy = self.policy(gateway, store)
        flow = self.flow(
            gateway, store, lambda chunk: chunk_flow(self.spec, policy, chunk, Keys(self.id)), stop, on_chunk
        )
        return await adrive(flow, gateway)  # type: ignore[no-any-return]

    def policy(self, gateway: _GatewayCore, store: Store) -> Policy:
        """Per-row admission and settling for this campaign, through ``gateway`` and ``store``."""
        return Policy.of(gateway, store, self.limits, self.lease, self.concurrency, self.settle_after)

    def flow(
        self,
        gateway: _GatewayCore,
        store: Store,
        dispatch: Dispatch,
        stop: Callable[[], bool] | None = None,
        on_chunk: OnChunk | None = None,
        wait: bool = True,
    ) -> Generator[Any, Any, CampaignState]:
        """The whole campaign as steps: record it, wait for its start (``wait``), queue and
        ``dispatch`` each chunk."""
        keys = Keys(self.id)
        yield from _create(store, keys, self, gateway.clock())
        if wait and self.start_at is not None and self.start_at > gateway.clock():
            yield self.start_at - gateway.clock()
        count = 0
        try:
            for chunk in self.chunks(gateway.default_region):
                if stop is not None and stop():
                    yield Call(store, "set", (keys.status, PAUSED))
                    break
                yield from queue_flow(store, keys, chunk)
                tally = yield from dispatch(chunk)
                while tally.status == "later":  # rows a lost run claimed, decided once settled
                    yield tally.wait
                    tally = yield from dispatch(chunk)
                if tally.status == "paused":
                    break
                if tally.status == "busy":
                    raise RuntimeError(f"chunk {chunk.number} of campaign {self.id} is being sent by another process")
                count += 1
                if on_chunk is not None:
                    on_chunk(chunk, tally)
            else:
                yield Call(store, "set", (keys.chunks, str(count)))
                yield from finish_flow(store, keys)
        except Exception:
            with suppress(Exception):  # the store may be what failed: the first error is the one to see
                yield Call(store, "set", (keys.status, FAILED))
            raise
        return (yield from state_flow(store, self.id))


def _store(gateway: _GatewayCore, store: Store | None) -> Store:
    return gateway.store if store is None else store


def _create(store: Store, keys: Keys, campaign: Campaign, now: float) -> Generator[Any, Any, None]:
    """Record the campaign once; running it again resumes it (a paused or failed one runs again)."""
    spec = {**campaign.to_dict(), "created_at": now}
    if (yield Call(store, "add", (keys.spec, json.dumps(spec, ensure_ascii=False)))) is None:
        index = yield Call(store, "incr", ("campaigns:count",))
        yield Call(store, "run", ([("set", (keys.status, RUNNING)), ("set", (f"campaigns:{index}", campaign.id))],))
    else:
        yield Call(store, "set", (keys.status, RUNNING))
