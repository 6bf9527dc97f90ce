"""Verification codes on an element: ``startVerification`` / ``checkVerification`` and their twins.

The element sends the code through its own gateway (its provider, failover and all) and keeps the
state in the app's verification store, so a caller never generates or remembers a code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._errors import InvalidRequest
from ..stores.memory import MemoryStore
from ..verify import AsyncVerifier, Verification, Verifier
from ..verify._core import default_keys

if TYPE_CHECKING:
    from .._gateway import AsyncGateway, Gateway

__all__ = ["VerificationMethods"]


class VerificationMethods:
    """Mixed into :class:`SmsElement`; a failed check raises :class:`~smsgate.VerificationFailed` (46020)."""

    _options: dict[str, Any]
    _verifier: Verifier | None = None
    _averifier: AsyncVerifier | None = None

    def sync_gateway(self) -> Gateway:
        raise NotImplementedError

    def async_gateway(self) -> AsyncGateway:
        raise NotImplementedError

    def startVerification(
        self,
        phone: str | None = None,
        verifyTemplateCode: str | None = None,
        params: Mapping[str, Any] | None = None,
        purpose: str = "login",
        *,
        text: str | None = None,
        client: str | None = None,
    ) -> Verification:
        """Send a new one-time code to ``phone`` with template ``verifyTemplateCode`` (its ``code`` param filled)."""
        return self.verifier().start(**_start_args(phone, verifyTemplateCode, params, purpose, text, client, _CAMEL))

    def checkVerification(self, verificationId: str, code: str, *, client: str | None = None) -> Verification:
        """The approved verification, or :class:`~smsgate.VerificationFailed` for any failure."""
        return self.verifier().check(verificationId, code, client=client)

    async def astartVerification(
        self,
        phone: str | None = None,
        verifyTemplateCode: str | None = None,
        params: Mapping[str, Any] | None = None,
        purpose: str = "login",
        *,
        text: str | None = None,
        client: str | None = None,
    ) -> Verification:
        """The async twin of :meth:`startVerification`."""
        args = _start_args(phone, verifyTemplateCode, params, purpose, text, client, _CAMEL)
        return await self.averifier().start(**args)

    async def acheckVerification(self, verificationId: str, code: str, *, client: str | None = None) -> Verification:
        """The async twin of :meth:`checkVerification`."""
        return await self.averifier().check(verificationId, code, client=client)

    # -- the same in snake_case -------------------------------------------------------------

    def start_verification(
        self,
        phone: str | None = None,
        template_code: str | None = None,
        params: Mapping[str, Any] | None = None,
        purpose: str = "login",
        *,
        text: str | None = None,
        client: str | None = None,
    ) -> Verification:
        """:meth:`startVerification` with snake_case argument names."""
        return self.verifier().start(**_start_args(phone, template_code, params, purpose, text, client, _SNAKE))

    def check_verification(self, verification_id: str, code: str, *, client: str | None = None) -> Verification:
        """:meth:`checkVerification` with snake_case argument names."""
        return self.verifier().check(verification_id, code, client=client)

    async def astart_verification(
        self,
        phone: str | None = None,
        template_code: str | None = None,
        params: Mapping[str, Any] | None = None,
        purpose: str = "login",
        *,
        text: str | None = None,
        client: str | None = None,
    ) -> Verification:
        """The async twin of :meth:`start_verification`."""
        return await self.averifier().start(**_start_args(phone, template_code, params, purpose, text, client, _SNAKE))

    async def acheck_verification(self, verification_id: str, code: str, *, client: str | None = None) -> Verification:
        """The async twin of :meth:`check_verification`."""
        return await self.averifier().check(verification_id, code, client=client)

    # -- the verifiers underneath -----------------------------------------------------------

    def verifier(self) -> Verifier:
        """The element's :class:`~smsgate.Verifier`, over its gateway and the app's verification store."""
        if self._verifier is None:
            self._verifier = Verifier(self.sync_gateway(), **self._verify_options())
        return self._verifier

    def averifier(self) -> AsyncVerifier:
        """The async twin of :meth:`verifier`, over the same store and keys."""
        if self._averifier is None:
            self._averifier = AsyncVerifier(self.async_gateway(), **self._verify_options())
        return self._averifier

    def _verify_options(self) -> dict[str, Any]:
        """The app's verification options (shared by its elements), its keys resolved once."""
        options: dict[str, Any] = self._options.setdefault("verify", {})
        if options.get("store") is None:
            options["store"] = MemoryStore()
        if options.get("keys") is None:
            options["keys"] = default_keys(options["store"])
        return options


_CAMEL = ("phone", "verifyTemplateCode")
_SNAKE = ("phone", "template_code")


def _start_args(
    phone: object,
    template: object,
    params: Mapping[str, Any] | None,
    purpose: str,
    text: str | None,
    client: str | None,
    names: tuple[str, str],
) -> dict[str, Any]:
    """The verifier's ``start`` arguments; 46001 naming the bad argument in the caller's words."""
    if not isinstance(phone, str) or not phone:
        raise InvalidRequest(f"{names[0]} is required: one phone number", field=names[0])
    if template is not None and not isinstance(template, str):
        raise InvalidRequest(f"{names[1]} must be a string", field=names[1])
    if not template and text is None:
        raise InvalidRequest(f"{names[1]} is required", field=names[1])
    return {
        "phone": phone,
        "template": template or None,
        "text": text,
        "params": params,
        "purpose": purpose,
        "client": client,
    }
