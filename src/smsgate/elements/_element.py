"""Elements: ``SMS.<Name>`` instances that send through the core, and the types they are built on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .._errors import InvalidRequest
from .._gateway import AsyncGateway, Gateway
from .._models import Message, SendResult
from ..providers.base import Provider
from ._loader import ElementSpec, TypeSpec
from ._response import SmsResponse, response_of
from ._verify import VerificationMethods

__all__ = ["SmsElement", "TypeElement"]


class TypeElement:
    """A type element (``"type": "SMS.Meta"``): a provider and the defaults its instances share."""

    def __init__(self, spec: TypeSpec) -> None:
        self.name = spec.name
        self.title = spec.title
        self.provider_cls = spec.provider_cls
        self.folder = spec.folder

    def __repr__(self) -> str:
        return f"<TypeElement {self.name!r} provider={self.provider_cls.name!r}>"


class SmsElement(VerificationMethods):
    """An instance element: ``sendMessage`` / ``send_message`` and their async twins.

    Every method validates its arguments first (46001, naming the argument), then sends through
    the core gateway and returns the provider's response (:class:`SmsResponse`); a refusal by the
    provider raises :class:`~smsgate.Rejected` (46002, with the provider's code and message), no
    answer :class:`~smsgate.RequestFailed` (46003). ``startVerification`` / ``checkVerification``
    (and twins) send and check one-time codes (:class:`VerificationMethods`).
    """

    def __init__(self, spec: ElementSpec, gateway_options: Mapping[str, Any]) -> None:
        self.name = spec.name
        self.title = spec.title
        self.type = spec.type.name
        self.folder: Path = spec.folder
        self.provider: Provider = spec.provider
        self._options = dict(gateway_options)
        self._gateway: Gateway | None = None
        self._async_gateway: AsyncGateway | None = None

    def __repr__(self) -> str:
        return f"<SmsElement {self.name!r} type={self.type!r}>"

    # -- the seed's API ---------------------------------------------------------------------

    def sendMessage(
        self,
        phoneList: Sequence[str] | None = None,
        params: Mapping[str, Any] | None = None,
        verifyTemplateCode: str | None = None,
        *,
        text: str | None = None,
    ) -> SmsResponse:
        """Send to ``phoneList`` with template ``verifyTemplateCode`` filled with ``params``."""
        message = self.message(phoneList, params, verifyTemplateCode, text, names=_CAMEL)
        return response_of(self.send(message).raise_for_status())

    async def asendMessage(
        self,
        phoneList: Sequence[str] | None = None,
        params: Mapping[str, Any] | None = None,
        verifyTemplateCode: str | None = None,
        *,
        text: str | None = None,
    ) -> SmsResponse:
        """The async twin of :meth:`sendMessage`."""
        message = self.message(phoneList, params, verifyTemplateCode, text, names=_CAMEL)
        return response_of((await self.asend(message)).raise_for_status())

    # -- the same in snake_case -------------------------------------------------------------

    def send_message(
        self,
        phone_list: Sequence[str] | None = None,
        params: Mapping[str, Any] | None = None,
        template_code: str | None = None,
        *,
        text: str | None = None,
    ) -> SmsResponse:
        """:meth:`sendMessage` with snake_case argument names."""
        message = self.message(phone_list, params, template_code, text, names=_SNAKE)
        return response_of(self.send(message).raise_for_status())

    async def asend_message(
        self,
        phone_list: Sequence[str] | None = None,
        params: Mapping[str, Any] | None = None,
        template_code: str | None = None,
        *,
        text: str | None = None,
    ) -> SmsResponse:
        """The async twin of :meth:`send_message`."""
        message = self.message(phone_list, params, template_code, text, names=_SNAKE)
        return response_of((await self.asend(message)).raise_for_status())

    # -- the core underneath ----------------------------------------------------------------

    def message(
        self,
        phones: Sequence[str] | None,
        params: Mapping[str, Any] | None,
        template: str | None,
        text: str | None,
        *,
        names: tuple[str, str, str] = ("phone_list", "params", "template_code"),
    ) -> Message:
        """A core :class:`~smsgate.Message` from the seed's arguments; 46001 naming the bad one."""
        phone_name, params_name, template_name = names
        if phones is None or isinstance(phones, str) or not isinstance(phones, Sequence):
            raise InvalidRequest(f"{phone_name} is required: a list of phone numbers", field=phone_name)
        if not phones:
            raise InvalidRequest(f"{phone_name} is empty", field=phone_name)
        if params is None or not isinstance(params, Mapping):
            raise InvalidRequest(f"{params_name} is required: a dict of template parameters", field=params_name)
        if template is not None and not isinstance(template, str):
            raise InvalidRequest(f"{template_name} must be a string", field=template_name)
        if not template and text is None:
            raise InvalidRequest(f"{template_name} is required", field=template_name)
        return Message(to=list(phones), template=template or None, params=params, text=text)

    def send(self, message: Message) -> SendResult:
        """Send a core message; the full result, without raising for refused recipients."""
        return self.sync_gateway().send(message)

    async def asend(self, message: Message) -> SendResult:
        """The async twin of :meth:`send`."""
        return await self.async_gateway().send(message)

    def sync_gateway(self) -> Gateway:
        """The core gateway this element sends through, opened on first use."""
        if self._gateway is None:
            self._gateway = Gateway([self.provider], **self._options.get("sync", {}))
        return self._gateway

    def async_gateway(self) -> AsyncGateway:
        """The async twin of :meth:`sync_gateway`."""
        if self._async_gateway is None:
            self._async_gateway = AsyncGateway([self.provider], **self._options.get("async", {}))
        return self._async_gateway

    def close(self) -> None:
        if self._gateway is not None:
            self._gateway.close()
            self._gateway = None

    async def aclose(self) -> None:
        self.close()
        if self._async_gateway is not None:
            await self._async_gateway.aclose()
            self._async_gateway = None


_CAMEL = ("phoneList", "params", "verifyTemplateCode")
_SNAKE = ("phone_list", "params", "template_code")
