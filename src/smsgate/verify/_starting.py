"""Starting verifications and resending their code: budgets, the record, the send."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from .._errors import InvalidRequest, PolicyRefused, SmsError
from .._models import Message, SendResult
from .._observe import mask_phone
from .._phone import PhoneNumber
from .._steps import Call
from ..stores.base import Window
from ._checking import Checking
from ._core import Flow, Send, dumps, logger
from ._model import Verification, VerificationStatus
from ._record import Record, checked_purpose

__all__ = ["Starting"]


class Starting(Checking):
    """The steps of ``start`` and ``resend``."""

    def start_flow(
        self,
        phone: str | PhoneNumber,
        *,
        template: str | None,
        text: str | None,
        purpose: str,
        params: Mapping[str, Any] | None,
        sign_name: str | None,
        templates: Mapping[str, str] | None,
        client: str | None,
        ttl: float | None,
        idempotency_key: str | None,
    ) -> Flow[Verification]:
        number = PhoneNumber.parse(phone, self.gateway.default_region)
        purpose = checked_purpose(purpose)
        try:
            ttl = self.policy.ttl_for(purpose, ttl)
        except ValueError as exc:
            raise InvalidRequest(str(exc), field="ttl") from None
        if not (template or text or templates):
            raise InvalidRequest("a template code or a text is required", field="template")
        if params and self.code_param in params:
            raise InvalidRequest(f"params: {self.code_param!r} is the code, filled in by the verifier", field="params")
        allowlist = self.gateway.allowlist
        if allowlist is not None and not allowlist.allows(number):
            raise PolicyRefused(f"country not allowed: {mask_phone(number.e164)}", rule="country_allowlist")
        if self.screen is not None:
            self.screen(number, client)
        checked = Message(
            to=[number],
            template=template,
            text=text,
            params=params or {},
            sign_name=sign_name,
            templates=templates or {},
        )  # bad params fail here, before anything is counted
        message = {
            "template": template,
            "text": text,
            "params": dict(checked.params),
            "sign_name": sign_name,
            "templates": dict(checked.templates),
        }
        now = self.clock()
        vid = secrets.token_urlsafe(18)
        idem = f"{self.prefix}idem:{idempotency_key}" if idempotency_key else None
        if idem is not None:
            earlier = yield Call(self.store, "add", (idem, vid, 86400.0))
            if earlier is not None:
                found = yield from self.get_flow(earlier)
                if found is not None:
                    return found
                yield Call(self.store, "set", (idem, vid, 86400.0))  # the earlier one is gone: this one answers
        full = yield from self._budget(self._send_windows(number.e164, client, now))
        if full is not None:
            if idem is not None:
                yield Call(self.store, "delete", (idem,))
            raise full
        seed = secrets.token_bytes(16)
        kid, digits = self.keys.current, self.policy.digits
        code = self.keys.code(kid, seed, digits)
        digest = self.keys.digest(kid, (vid, number.e164, purpose, code)).hex()
        record = Record(
            number.e164, purpose, kid, seed.hex(), digest, digits, now, now + ttl, self.policy.retention, message
        )
        life = record.life(now)
        calls: list[tuple[str, tuple[Any, ...]]] = [
            ("set", (self.key(vid), record.dumps(), life)),
            ("set", (self.key(vid, "sends"), "1", life)),
            ("get", (self.live_key(purpose, number.e164),)),
            ("set", (self.live_key(purpose, number.e164), vid, life)),
        ]
        if self.policy.resend_cooldown > 0:
            calls.append(("set", (self.key(vid, "cool"), "1", self.policy.resend_cooldown)))
        replies = yield Call(self.store, "run", (calls,))
        try:
            yield from self.counters.started(record, self.policy.retention)
        except Exception:
            logger.warning("could not count verification %s", vid, exc_info=True)
        previous = replies[2]
        if previous and previous != vid:  # a new verification cancels the previous one
            yield from self._cancel_previous(previous, life)
        return (yield from self._send(vid, record, number, code, sends=1))

    def resend_flow(self, vid: str, *, client: str | None) -> Flow[Verification]:
        """Send the same code again: within the TTL, after the cooldown, counted against every budget."""
        found = yield from self._state(vid)
        if found is None:
            raise InvalidRequest("no such verification", field="verification_id")
        record, view = found
        if view.status is not VerificationStatus.PENDING:
            raise PolicyRefused(f"the verification is {view.status.value}: start a new one", rule="not_pending")
        if not self.keys.has(record.key_id):
            raise PolicyRefused("the key this verification was started with is gone", rule="not_pending")
        now = self.clock()
        if self.policy.resend_cooldown > 0:
            cooling = yield Call(self.store, "add", (self.key(vid, "cool"), "1", self.policy.resend_cooldown))
            if cooling is not None:
                raise PolicyRefused(
                    "resend cooldown: wait before sending again",
                    rule="resend_cooldown",
                    retry_after=self.policy.resend_cooldown,
                )
        sends = ("max_sends_reached", (self.key(vid, "sends"), self.policy.max_sends, record.life(now)))
        full = yield from self._budget([sends, *self._send_windows(record.phone, client, now)])
        if full is not None:
            raise full
        code = self.keys.code(record.key_id, bytes.fromhex(record.seed), record.digits)
        number = PhoneNumber.parse(record.phone)
        return (yield from self._send(vid, record, number, code, sends=view.sends + 1))

    def _send(self, vid: str, record: Record, phone: PhoneNumber, code: str, *, sends: int) -> Flow[Verification]:
        spec = record.message
        message = Message(
            to=[phone],
            template=spec["template"],
            text=spec["text"],
            params={**spec["params"], self.code_param: code},
            sign_name=spec["sign_name"],
            templates=spec["templates"],
            secret_params=frozenset({self.code_param}),
        )
        now = self.clock()
        try:
            result: SendResult = yield Send(message)
        except SmsError:  # refused before anything left: nothing to verify against
            yield from self._finish(record, vid, VerificationStatus.CANCELED, record.life(now))
            raise
        row = result.recipients[0]
        sent = {"status": row.status.value, "provider": row.provider, "message_id": row.message_id}
        try:  # what left is reported even when the store fails now
            yield Call(self.store, "set", (self.key(vid, "sent"), dumps(sent), record.life(now)))
        except Exception:
            logger.warning("could not record the send of verification %s", vid, exc_info=True)
        return Verification(
            vid,
            record.phone,
            record.purpose,
            VerificationStatus.PENDING,
            record.expires_at,
            sends,
            0,
            row.status,
            row.provider,
            row.message_id,
            row.error,
        )

    def _cancel_previous(self, previous: str, life: float) -> Flow[None]:
        done = (self.key(previous, "done"), VerificationStatus.CANCELED.value, life)
        if (yield Call(self.store, "add", done)) is None:
            earlier = Record.loads((yield Call(self.store, "get", (self.key(previous),))))
            if earlier is not None:
                yield from self.count(earlier, VerificationStatus.CANCELED)

    def _send_windows(self, phone: str, client: str | None, now: float) -> list[tuple[str, Window]]:
        """``(rule, window)`` for each send budget that applies."""
        p = self.policy
        named = [
            ("phone", phone, p.sends_per_phone),
            ("client", client, p.sends_per_client),
            ("day", "all", p.sends_per_day),
        ]
        return [(f"verify_sends_per_{n}", b.window(f"sends:{n}", who, now)) for n, who, b in named if b and who]

    def _budget(self, rules: Sequence[tuple[str, Window]]) -> Flow[PolicyRefused | None]:
        """Count one send in every window, all or nothing; the refusal naming the first full one."""
        if not rules:
            return None
        full = yield Call(self.store, "hit", ([window for _, window in rules],))
        if full is None:
            return None
        rule = rules[full][0]
        return PolicyRefused(f"verification limit reached: {rule}", rule=rule)
