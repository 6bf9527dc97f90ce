"""Verification codes for tenants: the platform makes the code, so a ``SEND_SMS`` event need not.

:meth:`VerifyingPlatform.start_verification` takes a ``SEND_SMS`` event without ``code``; the
platform's verifier draws one and dispatches the event with it, so any SMS extension (the seed's
own included) sends it unchanged. Each tenant's verifications live in their own namespace: a
tenant can check only its own.
"""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING, Any

from .._errors import InvalidRequest
from .._models import Message, RecipientResult, SendResult, Status
from .._phone import DEFAULT_REGION, PhoneNumber
from ..elements._response import SmsResponse
from ..policy.lists import CountryAllowlist
from ..stores.base import Store
from ..verify import AsyncVerifier, KeyRing, Verification, Verifier, VerifyPolicy
from ._event import SEND_SMS, Event, Outcomes

if TYPE_CHECKING:
    from ._platform import Platform

__all__ = ["VerifyingPlatform"]

_CODE = "code"


class _EventSender:
    """Gateway-shaped: sends a verification's code as its ``SEND_SMS`` event, one outcome back."""

    default_region = DEFAULT_REGION
    allowlist: CountryAllowlist | None = None
    clock = staticmethod(time.time)

    def __init__(self, platform: Platform, event: Event) -> None:
        self.platform = platform
        self.event = event

    def with_code(self, message: Message) -> Event:
        data = {**self.event.data, "mobile": str(message.to[0]), _CODE: message.params[_CODE]}
        data.pop("areacode", None)  # the phone is in E.164 now
        return Event(SEND_SMS, self.event.tenant, self.event.packages, data)

    def result(self, message: Message, outcomes: Outcomes) -> SendResult:
        phone = PhoneNumber.parse(str(message.to[0]))
        package = self.event.packages[0]
        outcome = outcomes[package]
        if outcome.error is not None:
            return SendResult(recipients=(RecipientResult.failed(phone, outcome.error, provider=package),))
        found = outcome.result.result[phone] if isinstance(outcome.result, SmsResponse) else None
        message_id = found.message_id if found is not None else None
        return SendResult(recipients=(RecipientResult(phone, Status.ACCEPTED, package, message_id),))

    def send(self, message: Message) -> SendResult:
        return self.result(message, self.platform.dispatch(self.with_code(message)))


class _AsyncEventSender(_EventSender):
    async def send(self, message: Message) -> SendResult:  # type: ignore[override]
        return self.result(message, await self.platform.adispatch(self.with_code(message)))


class VerifyingPlatform:
    """Mixed into :class:`Platform`: start and check verifications on behalf of tenants.

    State lives in ``verify_store`` (in memory by default: pass a shared store when several
    processes serve tenants), codes are drawn under ``verify_keys`` (``$SMSGATE_VERIFY_KEYS``).
    """

    verify_store: Store
    verify_keys: KeyRing | None
    verify_policy: VerifyPolicy | None

    def start_verification(self, event: Event, *, purpose: str = "login", client: str | None = None) -> Verification:
        """Send a new code to ``event.data["mobile"]`` through the one extension ``event`` names."""
        phone = _checked(event)
        verifier = Verifier(_EventSender(self._platform(), event), **self._verify_options(event.tenant))
        return verifier.start(phone, template=event.packages[0], purpose=purpose, client=client)

    def check_verification(
        self, tenant: Any, verification_id: str, code: str, *, client: str | None = None
    ) -> Verification:
        """The approved verification, or :class:`~smsgate.VerificationFailed` for any failure."""
        return self._verifier(tenant).check(verification_id, code, client=client)

    def get_verification(self, tenant: Any, verification_id: str) -> Verification | None:
        """The tenant's verification by id (``None`` when unknown to this tenant)."""
        return self._verifier(tenant).get(verification_id)

    async def astart_verification(
        self, event: Event, *, purpose: str = "login", client: str | None = None
    ) -> Verification:
        """The async twin of :meth:`start_verification`."""
        phone = _checked(event)
        verifier = AsyncVerifier(_AsyncEventSender(self._platform(), event), **self._verify_options(event.tenant))
        return await verifier.start(phone, template=event.packages[0], purpose=purpose, client=client)

    async def acheck_verification(
        self, tenant: Any, verification_id: str, code: str, *, client: str | None = None
    ) -> Verification:
        """The async twin of :meth:`check_verification`."""
        sender = _AsyncEventSender(self._platform(), Event(SEND_SMS, tenant))
        return await AsyncVerifier(sender, **self._verify_options(tenant)).check(verification_id, code, client=client)

    def _verifier(self, tenant: Any) -> Verifier:
        return Verifier(_EventSender(self._platform(), Event(SEND_SMS, tenant)), **self._verify_options(tenant))

    def _verify_options(self, tenant: Any) -> dict[str, Any]:
        if self.verify_keys is None:
            from ..verify._core import default_keys

            self.verify_keys = default_keys(self.verify_store)
        tenant_id = str(getattr(tenant, "id", tenant))
        namespace = hashlib.sha256(tenant_id.encode()).hexdigest()[:32]
        return {
            "store": self.verify_store,
            "keys": self.verify_keys,
            "policy": self.verify_policy,
            "namespace": namespace,
        }

    def _platform(self) -> Platform:
        return self  # type: ignore[return-value]


def _checked(event: Event) -> str:
    if not isinstance(event, Event) or event.tag != SEND_SMS:
        raise InvalidRequest("start_verification takes a SEND_SMS event", field="event")
    event.check()
    if len(event.packages) != 1:
        raise InvalidRequest("name exactly one SMS extension package to send the code", field="packages")
    if _CODE in event.data:
        raise InvalidRequest("the platform makes the code: leave 'code' out of the event", field="data.code")
    data = event.data
    mobile = str(data["mobile"]).strip()
    areacode = str(data.get("areacode") or "").strip().lstrip("+")
    return f"+{areacode}{mobile}" if areacode and not mobile.startswith(("+", "00")) else mobile
