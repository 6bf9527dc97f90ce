"""The admission of one send (no I/O here): what :meth:`Store.admit <smsgate.stores.Store.admit>`
(or :meth:`~smsgate.stores.Store.start`) checks for it, and how a refusal is answered: a
:class:`PolicyRefused` (blocklist, limit, a send with its key in progress), or the result a claim
replays (stored, or read from the send log when that send stopped after a request may have left).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from ._errors import PolicyRefused
from ._flow_jobs import Policies, Send
from ._models import Outgoing, SendResult
from ._observe import log_refusal
from ._steps import Step, StoreOp
from .policy.idempotency import PENDING, claim_parts, claim_value, decode_result, interrupted, same_message
from .policy.lists import Blocklist
from .stores.base import Keep, Refusal, Window

__all__ = ["Admission", "Gate"]


@dataclass(slots=True)
class Admission:
    """What :meth:`Store.admit <smsgate.stores.Store.admit>` checks for one send (false when nothing),
    and the ``(rule, phone)`` of each limit window, to name a full one."""

    blocked: list[str]
    claim: Keep | None
    windows: list[Window]
    rules: list[tuple[str, str]]

    def __bool__(self) -> bool:
        return bool(self.blocked or self.claim or self.windows)


_NOTHING = Admission([], None, [], [])  # nothing to check (never changed)


class Gate:
    """Admits sends under ``policies``; refuses them as the policies say."""

    def __init__(self, policies: Policies, clock: Callable[[], float]) -> None:
        self.policies = policies
        self.clock = clock

    def admission(self, send: Send) -> Admission:
        """What admits this send: its blocklist keys, its claim and its limit windows (with the rule
        and phone of each window)."""
        p = self.policies
        if not (p.blocklist or p.limits is not None or send.claim):
            return _NOTHING
        phones = send.phones
        blocked = [Blocklist.key(phone) for phone in phones] if p.blocklist else []
        rules: list[tuple[str, str]] = []
        windows: list[Window] = []
        if p.limits is not None:
            now = self.clock()
            for phone in phones:
                for rule, window in p.limits.windows(phone, now):
                    rules.append((rule, phone))
                    windows.append(window)
        claiming = (send.claim, claim_value(send.digest), p.idempotency.claim_ttl) if send.claim else None
        return Admission(blocked, claiming, windows, rules)

    def admit(self, send: Send, admission: Admission) -> Generator[Step, Any, SendResult | None]:
        """Lists, the idempotency claim and the limits, in one store operation; a replayed result or ``None``."""
        if not admission:
            return None
        store, args = self.policies.store, (admission.blocked, admission.claim, admission.windows)
        refusal = yield StoreOp(partial(store.admit, *args), partial(store.aadmit, *args))
        if refusal is None:
            return None
        return (yield from self.refused(send, admission, refusal))

    def refused(self, send: Send, admission: Admission, refusal: Refusal) -> Generator[Step, Any, SendResult]:
        """A refused admission: raises :class:`PolicyRefused`, or answers the claim's replayed result."""
        p, phones = self.policies, send.phones
        if refusal.kind == "blocked":
            raise self.refuse("blocklist", f"blocklisted: {phones[refusal.detail]}", [phones[refusal.detail]])
        if refusal.kind == "claimed":  # a claim or a stored result, for this message (else raises)
            if refusal.detail.startswith(PENDING):
                _, sent, lease = claim_parts(same_message(refusal.detail, send.digest))
                if sent is None or lease is None or lease > self.clock():
                    raise self.refuse("idempotency", "a send with this idempotency key is still in progress", phones)
                replayed = yield from self._interrupted(send.message, sent)
            else:
                replayed = decode_result(refusal.detail, send.digest)
            p.metrics.result(replayed)
            return replayed
        rule, phone = admission.rules[refusal.detail]
        raise self.refuse(rule, f"send limit {rule}={getattr(p.limits, rule)} reached for {phone}", [phone])

    def _interrupted(self, message: Outgoing, message_id: str) -> Generator[Step, Any, SendResult]:
        """The answer for a key whose send stopped after a request may have left: what its log shows."""
        log, found = self.policies.send_log, []
        if log is not None:
            query, aquery = (
                partial(log.log_query, message_id=message_id),
                partial(log.alog_query, message_id=message_id),
            )
            found = yield StoreOp(query, aquery)
        refs = [(r.provider, r.message_ids) for r in found if r.kind == "attempt" and r.provider]
        accepted = {phone: (provider, ref) for provider, ids in refs for phone, ref in ids.items()}
        return interrupted(message_id, message.phones, accepted)

    def check_countries(self, message: Outgoing) -> None:
        """Raise :class:`PolicyRefused` when a recipient's country is not allowed."""
        allowlist = self.policies.allowlist
        if allowlist is not None:
            barred = [phone.e164 for phone in message.phones if not allowlist.allows(phone)]
            if barred:
                raise self.refuse("country_allowlist", f"country not allowed: {', '.join(barred)}", barred)

    def refuse(self, rule: str, text: str, phones: Sequence[str]) -> PolicyRefused:
        """The refusal by ``rule``, counted and logged."""
        self.policies.metrics.refusal(rule)
        log_refusal(rule, phones)
        return PolicyRefused(text, rule=rule)
