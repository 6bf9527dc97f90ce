"""``SmsExtension``: an extension that sends SMS on ``SEND_SMS``; and one for any core provider."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from .._errors import InvalidRequest
from .._models import Message
from .._registry import provider_class
from ..elements._response import SmsResponse, response_of
from ._event import SEND_SMS, Event
from ._extension import Extension

__all__ = ["ProviderSmsExtension", "SmsConfig", "SmsExtension", "event_message"]


class SmsExtension(Extension, abc.ABC):
    """Listens for ``SEND_SMS`` and sends with :meth:`send_sms`; see the seed ``000``.

    :meth:`send_with` sends a core :class:`~smsgate.Message` through a core provider and returns
    the provider's response, raising the provider's error (46002, 46003) instead of returning it.
    """

    TYPE: ClassVar[str] = "sms"

    @property
    def type(self) -> str:
        return SmsExtension.TYPE

    def load(self) -> None:
        self.listen_event(SEND_SMS, self.event_send_sms)
        super().load()

    def event_send_sms(self, event: Event, **kwargs: Any) -> Any:
        """Send if ``event`` targets this extension's package."""
        if self.package in event.packages:
            return self.send_sms(event, **kwargs)
        return None

    @abc.abstractmethod
    def send_sms(self, event: Event, **kwargs: Any) -> Any:
        """Send the SMS ``event.data`` describes; return the result (raise on failure)."""

    def send_with(self, provider: str, settings: Mapping[str, Any], message: Message) -> SmsResponse:
        """Send ``message`` through the core provider ``provider`` configured with ``settings``."""
        gateway = self._platform().gateway(provider, settings)
        return response_of(gateway.send(message).raise_for_status())


class SmsConfig(BaseModel):
    """A runtime config for :class:`ProviderSmsExtension`: what to send and which event keys fill it."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    sign_name: str | None = Field(None, description="sign name (signature), for providers that take one")
    template_code: str | None = Field(None, description="template code, for template providers")
    text: str | None = Field(None, description="text with ${name} params, for text providers")
    template_params: list[str] = Field(default_factory=lambda: ["code"], description="event data keys sent as params")
    sms_up_extend_code: str | None = None
    out_id: str | None = None


def event_message(event: Event, config: Mapping[str, Any]) -> Message:
    """The core message for a ``SEND_SMS`` event and a runtime config (a :class:`SmsConfig` dump).

    ``areacode`` prefixes a ``mobile`` that has no country code; every key in ``template_params``
    must be in ``event.data`` (46001 naming it otherwise).
    """
    data = event.data
    mobile = str(data["mobile"]).strip()
    areacode = str(data.get("areacode") or "").strip().lstrip("+")
    if areacode and not mobile.startswith(("+", "00")):
        mobile = f"+{areacode}{mobile}"
    params: dict[str, Any] = {}
    for key in config.get("template_params") or ():
        if data.get(key) is None:
            raise InvalidRequest(f"event data lacks the template param {key!r}", field=f"data.{key}")
        params[key] = data[key]
    return Message(
        to=[mobile],
        template=config.get("template_code"),
        text=config.get("text"),
        params=params,
        sign_name=config.get("sign_name"),
        extend_code=config.get("sms_up_extend_code"),
        out_id=config.get("out_id"),
    )


class ProviderSmsExtension(SmsExtension):
    """Any core provider as an SMS extension: its settings model is the tenant settings schema,
    :class:`SmsConfig` (or ``config_model``) the runtime config schema.

    ``ProviderSmsExtension("tencent")`` has the package ``com.smsgate.sms.tencent``;
    ``provider_defaults`` are settings of the operator's, under every tenant's (``{"timeout": 5}``).
    """

    provider: ClassVar[str] = ""
    config_model: ClassVar[type[BaseModel]] = SmsConfig
    settings_model: ClassVar[type[BaseModel] | None] = None  # default: the provider's own

    def __init__(
        self,
        provider: str | None = None,
        package: str | None = None,
        *,
        provider_defaults: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.provider_name = provider or type(self).provider
        self.provider_defaults = dict(provider_defaults or {})
        if not self.provider_name:
            raise InvalidRequest("ProviderSmsExtension needs a provider name", field="provider")
        super().__init__(package or self.package or f"com.smsgate.sms.{self.provider_name}", **kwargs)

    def load(self) -> None:
        self.register_settings_schema(self.settings_model or provider_class(self.provider_name).settings_model)
        self.register_config_schema(self.config_model)
        super().load()

    def send_sms(self, event: Event, **kwargs: Any) -> SmsResponse:
        settings = self.get_settings(event.tenant).settings
        config = self.get_config_by_id(event.data["config_id"]).config
        return self.send_with(self.provider_name, self.provider_settings(settings), event_message(event, config))

    def provider_settings(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """The tenant's settings over ``provider_defaults`` (the operator's: timeouts, proxy…);
        unset values are dropped, so the provider's own defaults apply."""
        return {**self.provider_defaults, **{k: v for k, v in settings.items() if v is not None}}
