"""The policy layer around the engine, as generators the gateways drive (still no I/O here).

:func:`send_flow` checks the lists, claims the idempotency key, counts the limits, logs the
message, runs :func:`~smsgate._engine.plan` and records the result. :func:`job_flow` wraps each
request: a token from the provider's bucket, the *pending* log record written before the request
leaves, the request itself, then the record updated: at once when the request carries only part of
the message, else together with the message's own record and the idempotency result, in one
batch. Store operations are yielded as :class:`~smsgate._engine.Call` steps, so the sync driver
runs them inline and the async driver awaits their async twins.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ._engine import Call, Done, Job, Request, Step, attempt_of, plan
from ._errors import Category, InvalidRequest, PolicyRefused, SmsError, Throttled
from ._models import Attempt, Message, RecipientResult, SendResult, Status, new_id
from ._observe import log_attempt, log_refusal, logger
from ._phone import PhoneNumber
from .policy.idempotency import PENDING, Idempotency, decode_result, encode_result, worth_keeping
from .policy.lists import Blocklist
from .stores.base import LogRecord, Window

if TYPE_CHECKING:
    from ._gateway import _GatewayCore

__all__ = ["bare_jobs", "job_flow", "send_flow"]

Flow = Generator[Step, Any, SendResult]


def _refuse(core: _GatewayCore, rule: str, text: str, phones: Sequence[str]) -> PolicyRefused:
    core.metrics.refusal(rule)
    log_refusal(rule, phones)
    return PolicyRefused(text, rule=rule)


def send_flow(core: _GatewayCore, message: Message, providers: Sequence[str] | None) -> Flow:
    message = message.normalised(core.default_region)
    if providers is None:
        names = list(core.providers)
    else:
        names = list(providers)
        unknown = [n for n in names if n not in core.providers]
        if unknown or not names:
            raise InvalidRequest(f"unknown provider(s): {', '.join(unknown) or '(none given)'}", field="providers")
    phones = [p.e164 for p in message.phones]
    for hook in core.hooks.before_send:
        hook(message)

    if core.allowlist is not None:
        barred = [p.e164 for p in message.phones if not core.allowlist.allows(p)]
        if barred:
            raise _refuse(core, "country_allowlist", f"country not allowed: {', '.join(barred)}", barred)
    claim = Idempotency.key(message.idempotency_key) if message.idempotency_key else None
    blocked_keys = [Blocklist.key(p) for p in phones] if core.blocklist_enabled else []
    rules: list[tuple[str, str]] = []
    windows: list[Window] = []
    if core.limits is not None:
        now = core.clock()
        for phone in phones:
            for rule, window in core.limits.windows(phone, now):
                rules.append((rule, phone))
                windows.append(window)
    if blocked_keys or claim or windows:
        claim_op = (claim, PENDING, core.idempotency.claim_ttl) if claim else None
        verdict = yield Call(core.store, "admit", (blocked_keys, claim_op, windows))
        if verdict is not None:
            kind, value = verdict
            if kind == "blocked":
                raise _refuse(core, "blocklist", f"blocklisted: {phones[value]}", [phones[value]])
            if kind == "claimed":
                if value == PENDING:
                    raise _refuse(core, "idempotency", "a send with this idempotency key is still in progress", phones)
                replayed = decode_result(value)
                core.metrics.result(replayed)
                return replayed
            rule, phone = rules[value]
            limit = getattr(core.limits, rule)
            raise _refuse(core, rule, f"send limit {rule}={limit} reached for {phone}", [phone])

    message_id = new_id()
    record: LogRecord | None = None
    finished: list[LogRecord] = []  # attempt records with their outcome, written with the message's
    if core.send_log is not None:
        started = core.clock()
        record = LogRecord(message_id, "message", message_id, tuple(phones), "pending", started, started)
        core._opening[message_id] = record  # written by the first request, in one batch with its own
    try:
        result = yield from _routed(core, message, names, message_id, finished)
    except SmsError:  # only raised when no provider could take the message: nothing was sent
        if claim is not None:
            yield Call(core.store, "delete", (claim,))
        raise
    finally:
        if record is not None:
            core._opening.pop(message_id, None)

    after: list[tuple[str, tuple[Any, ...]]] = []
    logs: list[tuple[str, tuple[Any, ...]]] = []
    if claim is not None:
        if worth_keeping(result):
            after.append(("set", (claim, encode_result(result), core.idempotency.ttl)))
        else:
            after.append(("delete", (claim,)))
    if core.send_log is not None and record is not None:
        record.status = _summary(result)
        record.updated_at = core.clock()
        record.message_ids = {r.phone.e164: r.message_id for r in result.recipients if r.message_id}
        logs = [("log_put", (r,)) for r in finished] + [("log_put", (record,))]
        if core.send_log is core.store:
            after = logs + after
        else:
            yield from _quietly(Call(core.send_log, "run", (logs,)), message_id)
    if len(after) == 1:
        yield from _quietly(Call(core.store, after[0][0], after[0][1]), message_id)
    elif after:
        yield from _quietly(Call(core.store, "run", (after,)), message_id)
    core.metrics.result(result)
    for after_hook in core.hooks.after_send:
        after_hook(message, result)
    return result


def _routed(core: _GatewayCore, message: Message, names: list[str], message_id: str, finished: list[LogRecord]) -> Flow:
    """Plan per route: one plan, or with a per-country strategy one per group of recipients."""
    route = getattr(core.strategy, "route", None)
    if route is None:
        return _plan(core, message, list(core.strategy(names, message)), message_id, finished)
    return _per_route(core, message, names, route, message_id, finished)


def _per_route(
    core: _GatewayCore,
    message: Message,
    names: list[str],
    route: Callable[[PhoneNumber], Sequence[str]],
    message_id: str,
    finished: list[LogRecord],
) -> Flow:
    groups: dict[tuple[str, ...], list[PhoneNumber]] = {}
    for phone in message.phones:
        groups.setdefault(tuple(n for n in route(phone) if n in names), []).append(phone)
    parts: list[SendResult] = []
    for route_order, phones in groups.items():
        keys = {p.e164 for p in phones}
        part = message.replace(
            to=tuple(phones), recipient_params={k: v for k, v in message.recipient_params.items() if k in keys}
        )
        if not route_order:
            error = InvalidRequest("no configured provider serves this destination", field="to")
            rows = tuple(RecipientResult.failed(p, error) for p in phones)
            parts.append(SendResult(recipients=rows))
            continue
        parts.append((yield from _plan(core, part, list(route_order), message_id, finished)))
    rows_by_phone = {r.phone.e164: r for part in parts for r in part.recipients}
    return SendResult(
        recipients=tuple(rows_by_phone[p.e164] for p in message.phones),
        attempts=tuple(a for part in parts for a in part.attempts),
        responses=tuple(r for part in parts for r in part.responses),
        message_id=message_id,
    )


def _plan(core: _GatewayCore, message: Message, order: list[str], message_id: str, finished: list[LogRecord]) -> Flow:
    """The engine's steps; with a send log, collecting the attempt records that jobs hand back in ``Done.note``."""
    steps = plan(
        message,
        core.providers,
        order,
        core.retry,
        core.clock,
        breakers=core.breakers,
        message_id=message_id,
        on_attempt=core.observe,
    )
    return steps if core.send_log is None else _collecting(steps, finished)


def _collecting(steps: Flow, finished: list[LogRecord]) -> Flow:
    reply: Any = None
    while True:
        try:
            step = steps.send(reply)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        reply = yield step
        if isinstance(step, list):
            finished.extend(done.note for done in reply if done.note is not None)


def _summary(result: SendResult) -> str:
    statuses = {r.status for r in result.recipients}
    return statuses.pop().value if len(statuses) == 1 else "partial"


def bare_jobs(core: _GatewayCore) -> bool:
    """True when :func:`job_flow` would only send the request (no rate limits, no send log):
    drivers then skip the generator and send it themselves."""
    return not core.rates and core.send_log is None


def job_flow(core: _GatewayCore, job: Job) -> Generator[Step, Any, Done]:
    """One request: rate token, pending record, the request, the final record.

    Its attempt is counted and logged by the engine's ``on_attempt``, like every finished job."""
    alias = job.provider.alias
    rate = core.rates.get(alias)
    if rate is not None:
        args = (f"rate:{alias}", rate.interval, rate.burst, rate.max_wait, core.clock())
        wait = yield Call(core.store, "reserve", args)
        if wait is None:
            refused = Throttled(
                f"request rate limit {rate.rate:g}/s reached",
                provider=alias,
                category=Category.THROTTLED,
                retryable=False,
            )
            return Done(refused, core.clock(), 0.0)
        if wait > 0:
            yield float(wait)
    record: LogRecord | None = None
    if core.send_log is not None:
        now = core.clock()
        phones = tuple(p.e164 for p in job.recipients)
        record = LogRecord(new_id(), "attempt", job.message_id, phones, "pending", now, now, alias, job.number)
        opening = core._opening.pop(job.message_id, None)
        if opening is None:
            yield Call(core.send_log, "log_put", (record,))
        else:  # the message's pending record too, before its first request leaves
            yield Call(core.send_log, "run", ([("log_put", (opening,)), ("log_put", (record,))],))
    done: Done = yield Request(job)
    if record is not None:
        attempt = attempt_of(alias, job, done)
        record.status = attempt.status.value
        record.updated_at = core.clock()
        record.error = attempt.error.to_dict() if attempt.error else None
        if isinstance(done.outcome, list):
            record.message_ids = {r.phone.e164: r.message_id for r in done.outcome if r.message_id}
        if len(job.recipients) == len(job.message.phones):  # the whole message: finish it with the message
            return replace(done, note=record)
        yield from _quietly(Call(core.send_log, "log_put", (record,)), record.id)  # one of many: finish it now
    return done


def _quietly(call: Call, about: str) -> Generator[Step, Any, None]:
    """Run a store step after a request left: failing the send now would invite a resend, so log
    the failure instead (a log record then stays ``pending``; an idempotency claim stays until it expires)."""
    try:
        yield call
    except Exception:
        logger.warning("could not record the outcome of %s (%s)", about, call.name, exc_info=True)


def observe(core: _GatewayCore, job: Job, attempt: Attempt) -> None:
    """Log and hand to the ``on_error`` hooks one finished job (counted with its send's result)."""
    log_attempt(job.message_id, attempt)
    if attempt.status is not Status.ACCEPTED:
        for hook in core.hooks.on_error:
            hook(attempt)
