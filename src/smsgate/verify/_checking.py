"""Checking codes and looking verifications up.

A check reads the state first (record, terminal status, newest id, expiry), then counts the
attempt with ``hit`` (never past ``max_attempts``, so concurrent checks count exactly), and only
then compares digests with :func:`hmac.compare_digest`; every failure is the same
:class:`VerificationFailed`. Approval is an ``add`` of the terminal status: single use.
"""

from __future__ import annotations

import hmac
from typing import Any

from .._errors import InvalidRequest
from .._models import Status
from .._phone import PhoneNumber
from .._steps import Call
from ..stores.base import Window
from ._core import Flow, VerifierCore, loads, logger
from ._model import Verification, VerificationFailed, VerificationStatus
from ._record import ID, Record, checked_purpose

__all__ = ["Checking"]


class Checking(VerifierCore):
    """The steps of ``check``, ``check_phone``, ``cancel`` and ``get``."""

    def check_flow(
        self, vid: object, code: object, *, client: str | None, bound: tuple[str, str] | None = None
    ) -> Flow[Verification]:
        if not isinstance(vid, str):
            raise InvalidRequest("verification_id must be a string", field="verification_id")
        if not isinstance(code, str):
            raise InvalidRequest("code must be a string", field="code")
        now = self.clock()
        raw: list[str | None] = [None, None]
        if ID.fullmatch(vid) and len(code) <= 64:
            raw = yield Call(self.store, "get_many", ([self.key(vid), self.key(vid, "done")],))
        record = Record.loads(raw[0])
        if (  # the state decides before the code is looked at
            record is None
            or raw[1] is not None
            or now >= record.expires_at
            or (bound is not None and bound != (record.phone, record.purpose))
        ):
            raise VerificationFailed()
        life = record.life(now)
        p = self.policy
        windows: list[Window] = [(self.key(vid, "checks"), p.max_attempts, life)]
        for name, who, budget in (("phone", record.phone, p.checks_per_phone), ("client", client, p.checks_per_client)):
            if budget is not None and who is not None:
                windows.append(budget.window(f"checks:{name}", who, now))
        live_now = ("get", (self.live_key(record.purpose, record.phone),))
        checks_now = ("get", (self.key(vid, "checks"),))
        live, full, checks = yield Call(self.store, "run", ([live_now, ("hit", (windows,)), checks_now],))
        if full is not None or (live is not None and live != vid) or not self.matches(vid, record, code):
            if full is None and live in (None, vid) and int(checks or 0) >= p.max_attempts:  # the last attempt
                yield from self._finish(record, vid, VerificationStatus.MAX_ATTEMPTS_REACHED, life)
            raise VerificationFailed()
        approved = VerificationStatus.APPROVED
        if (yield Call(self.store, "add", (self.key(vid, "done"), approved.value, life))) is not None:
            raise VerificationFailed()
        try:  # approved: from here on, counted and read back in one go (a failure must not undo the approval)
            parts = [self.key(vid, part) for part in ("checks", "sends", "sent")]
            calls = [*self.counters.finished(record, approved, record.retention), ("get_many", (parts,))]
            counts = (yield Call(self.store, "run", (calls,)))[-1]
        except Exception:
            logger.warning("could not count or read back verification %s", vid, exc_info=True)
            counts = [None, None, None]
        return _view(vid, record, approved, *counts)

    def _finish(self, record: Record, vid: str, status: VerificationStatus, life: float) -> Flow[bool]:
        """Write the terminal ``status`` unless one is there already (then ``False``), and count it."""
        taken = yield Call(self.store, "add", (self.key(vid, "done"), status.value, life))
        if taken is not None:
            return False
        yield from self.count(record, status)
        return True

    def matches(self, vid: str, record: Record, code: str) -> bool:
        """Whether ``code`` is the one ``record`` was started with: digests compared in constant time."""
        digest = self.keys.digest(record.key_id, (vid, record.phone, record.purpose, code))
        return hmac.compare_digest(digest, bytes.fromhex(record.digest))

    def check_phone_flow(
        self, phone: str | PhoneNumber, code: object, *, purpose: str, client: str | None
    ) -> Flow[Verification]:
        number = PhoneNumber.parse(phone, self.gateway.default_region)
        purpose = checked_purpose(purpose)
        vid = yield Call(self.store, "get", (self.live_key(purpose, number.e164),))
        return (yield from self.check_flow(vid or "", code, client=client, bound=(number.e164, purpose)))

    # -- status -------------------------------------------------------------------------------

    def cancel_flow(self, vid: str) -> Flow[Verification | None]:
        found = yield from self._state(vid)
        if found is not None and found[1].status is VerificationStatus.PENDING:
            life = found[0].life(self.clock())
            yield from self._finish(found[0], vid, VerificationStatus.CANCELED, life)
        return (yield from self.get_flow(vid))

    def get_flow(self, vid: str) -> Flow[Verification | None]:
        found = yield from self._state(vid)
        return None if found is None else found[1]

    def _state(self, vid: str) -> Flow[tuple[Record, Verification] | None]:
        if not isinstance(vid, str) or not ID.fullmatch(vid):
            return None
        parts = ("", "done", "checks", "sends", "sent")
        raw = yield Call(self.store, "get_many", ([self.key(vid, part) for part in parts],))
        record = Record.loads(raw[0])
        if record is None:
            return None
        live = yield Call(self.store, "get", (self.live_key(record.purpose, record.phone),))
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


def _view(vid: str, record: Record, status: VerificationStatus, checks: Any, sends: Any, sent: Any) -> Verification:
    last = loads(sent)
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
