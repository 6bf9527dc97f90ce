"""``Verifier`` and ``AsyncVerifier``: the shared steps driven blocking, or with asyncio."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from .._phone import PhoneNumber
from ._core import Flow, Send
from ._model import Verification
from ._starting import Starting
from ._stats import PurposeStats, stats_flow

if TYPE_CHECKING:
    from .._gateway import AsyncGateway, Gateway

__all__ = ["AsyncVerifier", "Verifier"]

T = TypeVar("T")


class Verifier(Starting):
    """Sends one-time codes through a :class:`~smsgate.Gateway` and checks them against a store.

    ``Verifier(gateway, store, keys={"1": "32+ byte secret"})``; the store defaults to the
    gateway's, the keys to ``$SMSGATE_VERIFY_KEYS`` (a random key of this process's own with a
    ``MemoryStore``). ``policy`` (:class:`VerifyPolicy`) holds every number; ``screen(phone,
    client)`` may raise :class:`~smsgate.PolicyRefused` to refuse a start (anti-pumping).
    """

    gateway: Gateway

    def start(
        self,
        phone: str | PhoneNumber,
        *,
        template: str | None = None,
        text: str | None = None,
        purpose: str = "login",
        params: Mapping[str, Any] | None = None,
        sign_name: str | None = None,
        templates: Mapping[str, str] | None = None,
        client: str | None = None,
        ttl: float | None = None,
        idempotency_key: str | None = None,
    ) -> Verification:
        """Send a new code to ``phone`` (the previous verification for this phone and purpose is
        canceled). Raises :class:`~smsgate.InvalidRequest` for bad input and
        :class:`~smsgate.PolicyRefused` over a budget; nothing is sent then."""
        return self._drive(
            self.start_flow(
                phone,
                template=template,
                text=text,
                purpose=purpose,
                params=params,
                sign_name=sign_name,
                templates=templates,
                client=client,
                ttl=ttl,
                idempotency_key=idempotency_key,
            )
        )

    def resend(self, verification_id: str, *, client: str | None = None) -> Verification:
        """Send the same code again (after the cooldown, at most ``max_sends`` in all)."""
        return self._drive(self.resend_flow(verification_id, client=client))

    def check(self, verification_id: str, code: str, *, client: str | None = None) -> Verification:
        """The approved verification, or :class:`VerificationFailed` (the same for every failure)."""
        return self._drive(self.check_flow(verification_id, code, client=client))

    def check_phone(
        self, phone: str | PhoneNumber, code: str, *, purpose: str = "login", client: str | None = None
    ) -> Verification:
        """:meth:`check` for the newest verification of ``phone`` and ``purpose``."""
        return self._drive(self.check_phone_flow(phone, code, purpose=purpose, client=client))

    def cancel(self, verification_id: str) -> Verification | None:
        """Cancel a pending verification; its status afterwards (``None`` for an unknown id)."""
        return self._drive(self.cancel_flow(verification_id))

    def get(self, verification_id: str) -> Verification | None:
        """The status lookup, or ``None`` for an unknown (or purged) id."""
        return self._drive(self.get_flow(verification_id))

    def stats(self, purposes: Sequence[str] | None = None, *, hours: int = 24) -> list[PurposeStats]:
        """Counts by status for each purpose (every one seen when ``None``) over the last ``hours``,
        and how many were started each hour; never a code."""
        return self._drive(stats_flow(self.counters, purposes, self.clock(), hours))

    def _drive(self, steps: Flow[T]) -> T:
        reply: Any = None
        error: BaseException | None = None
        while True:
            try:
                step = steps.send(reply) if error is None else steps.throw(error)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            try:
                if isinstance(step, Send):
                    reply, error = self.gateway.send(step.message), None
                else:
                    reply, error = getattr(step.target, step.name)(*step.args), None
            except Exception as exc:
                reply, error = None, exc


class AsyncVerifier(Starting):
    """The asyncio twin of :class:`Verifier`, over an :class:`~smsgate.AsyncGateway`."""

    gateway: AsyncGateway

    async def start(
        self,
        phone: str | PhoneNumber,
        *,
        template: str | None = None,
        text: str | None = None,
        purpose: str = "login",
        params: Mapping[str, Any] | None = None,
        sign_name: str | None = None,
        templates: Mapping[str, str] | None = None,
        client: str | None = None,
        ttl: float | None = None,
        idempotency_key: str | None = None,
    ) -> Verification:
        """See :meth:`Verifier.start`."""
        return await self._drive(
            self.start_flow(
                phone,
                template=template,
                text=text,
                purpose=purpose,
                params=params,
                sign_name=sign_name,
                templates=templates,
                client=client,
                ttl=ttl,
                idempotency_key=idempotency_key,
            )
        )

    async def resend(self, verification_id: str, *, client: str | None = None) -> Verification:
        return await self._drive(self.resend_flow(verification_id, client=client))

    async def check(self, verification_id: str, code: str, *, client: str | None = None) -> Verification:
        return await self._drive(self.check_flow(verification_id, code, client=client))

    async def check_phone(
        self, phone: str | PhoneNumber, code: str, *, purpose: str = "login", client: str | None = None
    ) -> Verification:
        return await self._drive(self.check_phone_flow(phone, code, purpose=purpose, client=client))

    async def cancel(self, verification_id: str) -> Verification | None:
        return await self._drive(self.cancel_flow(verification_id))

    async def get(self, verification_id: str) -> Verification | None:
        return await self._drive(self.get_flow(verification_id))

    async def stats(self, purposes: Sequence[str] | None = None, *, hours: int = 24) -> list[PurposeStats]:
        """See :meth:`Verifier.stats`."""
        return await self._drive(stats_flow(self.counters, purposes, self.clock(), hours))

    async def _drive(self, steps: Flow[T]) -> T:
        reply: Any = None
        error: BaseException | None = None
        while True:
            try:
                step = steps.send(reply) if error is None else steps.throw(error)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            try:
                if isinstance(step, Send):
                    reply, error = await self.gateway.send(step.message), None
                else:
                    reply, error = await getattr(step.target, "a" + step.name)(*step.args), None
            except Exception as exc:
                reply, error = None, exc
