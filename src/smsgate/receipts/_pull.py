"""Pulling receipts from providers with a query API, resumable from a cursor.

Aliyun and Twilio are asked about each message the send log shows as sent and not yet settled;
Tencent hands out whatever is new (it keeps the cursor). One sans-IO flow yields the requests
and reads the answers; :func:`poll_reports` and :func:`apoll_reports` drive it over the gateway's
transport. Each provider's cursor (the send time of the oldest message still unsettled) is kept
in the gateway's store, so the next poll starts where this one stopped, even after a failure.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._errors import RequestFailed, SmsError
from .._http import HttpRequest, HttpResponse
from .._reports import DeliveryReport, InboundMessage
from ..stores.base import LogRecord, Store
from ._base import NotSupported, Pending, ReceiptParser
from ._handler import Receipts
from ._push import PARSERS, UNSUPPORTED

if TYPE_CHECKING:
    from .._gateway import AsyncGateway, Gateway, _GatewayCore

__all__ = ["Poll", "apoll_reports", "poll_flow", "poll_reports"]

MAX_AGE = 3 * 86400.0  # seconds: older unsettled messages are given up on
Flow = Generator[HttpRequest, HttpResponse, "Poll"]


@dataclass(slots=True)
class Poll:
    """What one poll found: new reports and inbound messages, what is still unsettled, where to
    resume per provider, and the providers that could not be asked (their cursor did not move)."""

    reports: list[DeliveryReport] = field(default_factory=list)
    inbound: list[InboundMessage] = field(default_factory=list)
    pending: int = 0
    cursors: dict[str, float] = field(default_factory=dict)
    errors: dict[str, SmsError] = field(default_factory=dict)


def cursor_key(alias: str) -> str:
    return f"receipts:cursor:{alias}"


def poll_flow(
    core: _GatewayCore, receipts: Receipts, aliases: Sequence[str], since: float | None, max_age: float
) -> Flow:
    """Yield each query request, receive its response (a transport error is thrown in), record
    what it reports, and return the :class:`Poll`."""
    poll = Poll()
    now = core.clock()
    for alias in aliases:
        provider = core.providers[alias]
        parser = PARSERS[provider.name](_settings(receipts, alias, provider), alias=alias, pulling=True)
        start = since if since is not None else _stored(core.store, alias, now - max_age)
        pending, last = _pending(core.send_log, alias, start, now - max_age) if parser.pulls_by_message else ([], start)
        unsettled: list[float] = []
        try:
            for request, item in _requests(parser, provider, pending, start, now):
                response = yield request
                push = parser.parse_pull(provider, request, response, core.clock())
                receipts.accept(push)
                poll.reports += push.reports
                poll.inbound += push.inbound
                poll.pending += push.pending
                if push.pending and item is not None:
                    unsettled.append(item.sent_at)
        except (SmsError, OSError) as exc:
            poll.errors[alias] = exc if isinstance(exc, SmsError) else RequestFailed(str(exc), provider=alias)
            continue  # the cursor stays: the next poll asks again
        cursor = min(unsettled, default=last)
        core.store.set(cursor_key(alias), repr(cursor))
        poll.cursors[alias] = cursor
    return poll


def _requests(
    parser: ReceiptParser, provider: Any, pending: list[Pending], since: float, now: float
) -> Generator[tuple[HttpRequest, Pending | None], None, None]:
    if not parser.pulls_by_message:
        for request in parser.pull_requests(provider, ()):
            yield request, None
        return
    for item in pending:
        (request,) = parser.pull_requests(provider, [item])
        yield request, item
    for request in parser.pull_new(provider, since, now):
        yield request, None


def _settings(receipts: Receipts, alias: str, provider: Any) -> Any:
    parser = receipts.parsers.get(alias)
    return parser.settings if parser is not None else provider.settings.model_dump()


def _stored(store: Store, alias: str, default: float) -> float:
    value = store.get(cursor_key(alias))
    return float(value) if value is not None else default


def _pending(log: Store | None, alias: str, since: float, oldest: float) -> tuple[list[Pending], float]:
    """Messages sent through ``alias`` since ``since`` whose delivery is not settled in the send log,
    and the send time of the newest record looked at."""
    if log is None:
        return [], since
    records = log.log_query(since=since, limit=100_000)
    settled = {r.message_id: _settled(r) for r in records if r.kind == "message"}
    found: list[Pending] = []
    last = since
    for record in records:
        if record.kind != "attempt" or record.provider != alias:
            continue
        last = max(last, record.created_at)
        if record.created_at < oldest:
            continue
        done = settled.get(record.message_id, set())
        found += [
            Pending(provider_id, phone, record.created_at)
            for phone, provider_id in record.message_ids.items()
            if phone not in done
        ]
    return found, last


def _settled(record: LogRecord) -> set[str]:
    deliveries = getattr(record, "deliveries", None) or {}
    return {phone for phone, status in deliveries.items() if status}


def poll_reports(
    gateway: Gateway,
    providers: Sequence[str] | None = None,
    *,
    since: float | None = None,
    receipts: Receipts | None = None,
    max_age: float = MAX_AGE,
) -> Poll:
    """Ask every provider of ``gateway`` with a query API (or those named) for new receipts; record
    them in its send log. ``since`` overrides the stored cursor (Unix seconds)."""
    flow = poll_flow(gateway, receipts or Receipts.for_gateway(gateway), _aliases(gateway, providers), since, max_age)
    try:
        request = next(flow)
        while True:
            try:
                response = gateway.transport.handle_request(request)
            except Exception as exc:
                request = flow.throw(_failed(exc))
                continue
            request = flow.send(response)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


async def apoll_reports(
    gateway: AsyncGateway,
    providers: Sequence[str] | None = None,
    *,
    since: float | None = None,
    receipts: Receipts | None = None,
    max_age: float = MAX_AGE,
) -> Poll:
    """:func:`poll_reports` over the async gateway's transport."""
    flow = poll_flow(gateway, receipts or Receipts.for_gateway(gateway), _aliases(gateway, providers), since, max_age)
    try:
        request = next(flow)
        while True:
            try:
                response = await gateway.transport.handle_async_request(request)
            except Exception as exc:
                request = flow.throw(_failed(exc))
                continue
            request = flow.send(response)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


def _failed(exc: Exception) -> SmsError:
    return exc if isinstance(exc, SmsError) else RequestFailed(f"the query failed: {type(exc).__name__}")


def _aliases(core: _GatewayCore, providers: Sequence[str] | None) -> list[str]:
    """The providers to ask: those named (each must have a query API), else every one that has."""
    names = list(providers) if providers is not None else list(core.providers)
    unknown = [n for n in names if n not in core.providers]
    if unknown:
        raise SmsError(f"poll_reports: unknown provider(s) {', '.join(unknown)}")
    can = [n for n in names if getattr(PARSERS.get(core.providers[n].name), "can_pull", False)]
    if providers is not None and len(can) < len(names):
        cannot = [n for n in names if n not in can]
        kinds = sorted({core.providers[n].name for n in cannot})
        why = "; ".join(f"{k}: {UNSUPPORTED.get(k, 'no query API for receipts')}" for k in kinds)
        raise NotSupported(f"poll_reports: {', '.join(cannot)} cannot be polled ({why})", what="pull")
    return can
