"""The verifier's steps, shared by ``Verifier`` and ``AsyncVerifier``: generators that yield
store calls (:class:`~smsgate._steps.Call`) and sends (:class:`Send`), and do no I/O themselves.

A check reads the state first (record, terminal status, newest id, expiry), then counts the
attempt with ``hit`` (never past ``max_attempts``, so concurrent checks count exactly), and only
then compares digests with :func:`hmac.compare_digest`; every failure is the same
:class:`VerificationFailed`. Approval is an ``add`` of the terminal status: single use.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from .._errors import InvalidRequest, PolicyRefused, SmsError
from .._models import Message, SendResult, Status
from .._observe import mask_phone
from .._phone import PhoneNumber
from .._steps import Call
from ..stores.base import Store, Window
from ..stores.memory import MemoryStore
from ._keys import ENV_KEYS, KeyRing
from ._model import Verification, VerificationFailed, VerificationStatus, VerifyPolicy
from ._record import Record, checked_purpose, key, live_key

__all__ = ["Flow", "Send", "VerifierCore", "default_keys"]

logger = logging.getLogger("smsgate.verify")
T = TypeVar("T")


@dataclass(slots=True)
class Send:
    """Send ``message`` through the gateway; the driver answers with its :class:`~smsgate.SendResult`."""

    message: Message


Flow = Generator[Call | Send, Any, T]


class VerifierCore:
    """Configuration and the steps of every operation; the drivers only run them."""

    def __init__(
        self,
        gateway: Any,
        store: Store | None = None,
        *,
        keys: KeyRing | Mapping[str, Any] | None = None,
        policy: VerifyPolicy | None = None,
        code_param: str = "code",
        screen: Callable[[PhoneNumber, str | None], Any] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.gateway = gateway
        self.store: Store = store if store is not None else gateway.store
        if keys is None:
            keys = default_keys(self.store)
        self.keys = keys if isinstance(keys, KeyRing) else KeyRing(keys)
        self.policy = policy or VerifyPolicy()
        self.code_param = code_param
        self.screen = screen
        self.clock: Callable[[], float] = clock or gateway.clock

    def __repr__(self) -> str:
        return f"<{type(self).__name__} store={self.store!r} keys={self.keys!r}>"

    # -- start and resend ----------------------------------------------------------------------

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
            to=[number], template=template, text=text, params=params, sign_name=sign_name, templates=templates
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
        idem = f"verify:idem:{idempotency_key}" if idempotency_key else None
        if idem is not None:
            earlier = yield Call(self.store, "add", (idem, vid, 86400.0))
            if earlier is not None:
                found = yield from self.get_flow(earlier)
                if found is not None:
                    return found
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
            ("set", (key(vid), record.dumps(), life)),
            ("set", (key(vid, "sends"), "1", life)),
            ("get", (live_key(purpose, number.e164),)),
            ("set", (live_key(purpose, number.e164), vid, life)),
        ]
        if self.policy.resend_cooldown > 0:
            calls.append(("set", (key(vid, "cool"), "1", self.policy.resend_cooldown)))
        replies = yield Call(self.store, "run", (calls,))
        previous = replies[2]
        if previous and previous != vid:  # a new verification cancels the previous one
            yield Call(self.store, "add", (key(previous, "done"), VerificationStatus.CANCELED.value, life))
        return (yield from self._send(vid, record, code, sends=1))

    def resend_flow(self, vid: str, *, client: str | None) -> Flow[Verification]:
        """Send the same code again: within the TTL, after the cooldown, counted against every budget."""
        found = yield from self._state(vid)
        if found is None:
            raise InvalidRequest("no such verification", field="verification_id")
        record, view = found
        if view.status is not VerificationStatus.PENDING:
            raise PolicyRefused(f"the verification is {view.status.value}: start a new one", rule="not_pending")
        if not record.seed or not self.keys.has(record.key_id):
            raise PolicyRefused("the key this verification was started with is gone", rule="not_pending")
        now = self.clock()
        if self.policy.resend_cooldown > 0:
            cooling = yield Call(self.store, "add", (key(vid, "cool"), "1", self.policy.resend_cooldown))
            if cooling is not None:
                raise PolicyRefused(
                    "resend cooldown: wait before sending again",
                    rule="resend_cooldown",
                    retry_after=self.policy.resend_cooldown,
                )
        sends = ("max_sends_reached", (key(vid, "sends"), self.policy.max_sends, record.life(now)))
        full = yield from self._budget([sends, *self._send_windows(record.phone, client, now)])
        if full is not None:
            raise full
        code = self.keys.code(record.key_id, bytes.fromhex(record.seed), record.digits)
        return (yield from self._send(vid, record, code, sends=view.sends + 1))

    def _send(self, vid: str, record: Record, code: str, *, sends: int) -> Flow[Verification]:
        spec = record.message
        message = Message(
            to=[record.phone],
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
            yield Call(self.store, "add", (key(vid, "done"), VerificationStatus.CANCELED.value, record.life(now)))
            raise
        row = result.recipients[0]
        sent = {"status": row.status.value, "provider": row.provider, "message_id": row.message_id}
        try:  # what left is reported even when the store fails now
            yield Call(self.store, "set", (key(vid, "sent"), _json(sent), record.life(now)))
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

    # -- check ----------------------------------------------------------------------------

    def check_flow(
        self, vid: object, code: object, *, client: str | None, bound: tuple[str, str] | None = None
    ) -> Flow[Verification]:
        if not isinstance(vid, str):
            raise InvalidRequest("verification_id must be a string", field="verification_id")
        if not isinstance(code, str):
            raise InvalidRequest("code must be a string", field="code")
        now = self.clock()
        raw: list[str | None] = [None, None]
        if 0 < len(vid) <= 64 and len(code) <= 64:
            raw = yield Call(self.store, "get_many", ([key(vid), key(vid, "done")],))
        record = Record.loads(raw[0])
        if (  # the state decides before the code is looked at
            record is None
            or raw[1] is not None
            or not record.seed
            or now >= record.expires_at
            or (bound is not None and bound != (record.phone, record.purpose))
        ):
            raise VerificationFailed()
        life = record.life(now)
        p = self.policy
        windows: list[Window] = [(key(vid, "checks"), p.max_attempts, life)]
        for name, who, budget in (("phone", record.phone, p.checks_per_phone), ("client", client, p.checks_per_client)):
            if budget is not None and who is not None:
                windows.append(budget.window(f"checks:{name}", who, now))
        live = yield Call(self.store, "get", (live_key(record.purpose, record.phone),))
        full = yield Call(self.store, "hit", (windows,))
        if full is not None or (live is not None and live != vid) or not self.matches(vid, record, code):
            raise VerificationFailed()
        taken = yield Call(self.store, "add", (key(vid, "done"), VerificationStatus.APPROVED.value, life))
        if taken is not None:
            raise VerificationFailed()
        record.seed = ""  # approved: nothing left to draw the code from
        calls = [
            ("set", (key(vid), record.dumps(), life)),
            ("get", (key(vid, "checks"),)),
            ("get", (key(vid, "sends"),)),
            ("get", (key(vid, "sent"),)),
        ]
        try:
            replies = yield Call(self.store, "run", (calls,))
        except Exception:
            logger.warning("could not record the approval of verification %s", vid, exc_info=True)
            replies = [None, None, None, None]
        return _view(vid, record, VerificationStatus.APPROVED, replies[1], replies[2], replies[3])

    def matches(self, vid: str, record: Record, code: str) -> bool:
        """Whether ``code`` is the one ``record`` was started with: digests compared in constant time."""
        digest = self.keys.digest(record.key_id, (vid, record.phone, record.purpose, code))
        return hmac.compare_digest(digest, bytes.fromhex(record.digest))

    def check_phone_flow(
        self, phone: str | PhoneNumber, code: object, *, purpose: str, client: str | None
    ) -> Flow[Verification]:
        number = PhoneNumber.parse(phone, self.gateway.default_region)
        purpose = checked_purpose(purpose)
        vid = yield Call(self.store, "get", (live_key(purpose, number.e164),))
        return (yield from self.check_flow(vid or "", code, client=client, bound=(number.e164, purpose)))

    # -- status -------------------------------------------------------------------------------

    def cancel_flow(self, vid: str) -> Flow[Verification | None]:
        found = yield from self._state(vid)
        if found is not None and found[1].status is VerificationStatus.PENDING:
            life = found[0].life(self.clock())
            yield Call(self.store, "add", (key(vid, "done"), VerificationStatus.CANCELED.value, life))
        return (yield from self.get_flow(vid))

    def get_flow(self, vid: str) -> Flow[Verification | None]:
        found = yield from self._state(vid)
        return None if found is None else found[1]

    def _state(self, vid: str) -> Flow[tuple[Record, Verification] | None]:
        if not isinstance(vid, str) or not 0 < len(vid) <= 64:
            return None
        parts = ("", "done", "checks", "sends", "sent")
        raw = yield Call(self.store, "get_many", ([key(vid, part) for part in parts],))
        record = Record.loads(raw[0])
        if record is None:
            return None
        live = yield Call(self.store, "get", (live_key(record.purpose, record.phone),))
        checks = int(raw[2] or 0)
        if raw[1] is not None:
            status = VerificationStatus(raw[1])
        elif live is not None and live != vid:
            status = VerificationStatus.CANCELED
        elif checks >= self.policy.max_attempts:
            status = VerificationStatus.MAX_ATTEMPTS_REACHED
        elif self.clock() >= record.expires_at:
            status = VerificationStatus.EXPIRED
        else:
            status = VerificationStatus.PENDING
        return record, _view(vid, record, status, raw[2], raw[3], raw[4])


def default_keys(store: Store) -> KeyRing:
    """``$SMSGATE_VERIFY_KEYS``; without it, a key of this process's own for a ``MemoryStore``
    (whose state dies with the process anyway), else a :class:`~smsgate.ConfigError`."""
    if isinstance(store, MemoryStore) and not os.environ.get(ENV_KEYS):
        return KeyRing.ephemeral()
    return KeyRing.from_env()


def _view(vid: str, record: Record, status: VerificationStatus, checks: Any, sends: Any, sent: Any) -> Verification:
    last = _unjson(sent)
    send_status = Status(last["status"]) if last.get("status") else None
    return Verification(
        vid,
        record.phone,
        record.purpose,
        status,
        record.expires_at,
        int(sends or 0),
        int(checks or 0),
        send_status,
        last.get("provider"),
        last.get("message_id"),
    )


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"))


def _unjson(text: str | None) -> dict[str, Any]:
    return dict(json.loads(text)) if text else {}
