"""The provider contract.

A provider is sans-IO: it turns a message and a batch of recipients into one :class:`HttpRequest`
(:meth:`Provider.build_request`) and turns the :class:`HttpResponse` into one
:class:`RecipientResult` per recipient, or raises a classified :class:`SmsError`
(:meth:`Provider.parse`). It never opens a socket or sleeps; its clock and nonce source are
injected so that signing is reproducible in tests. The gateway splits messages into batches
(:meth:`Provider.batches`), sends, retries and fails over.

Development sinks that deliver in-process (console, file, memory) subclass
:class:`LocalProvider` and implement :meth:`LocalProvider.deliver` instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .._errors import Category, ConfigError, InvalidRequest, OutcomeUnknown, Rejected, SmsError, Throttled
from .._http import Endpoint, HttpRequest, HttpResponse
from .._models import Message, Outgoing, RecipientResult, Status, new_id
from .._phone import PhoneNumber

__all__ = ["LocalProvider", "Provider", "ProviderSettings", "Settings", "settings_problems"]


MAX_TIMEOUT = 3600.0  # seconds: longer is a typo, and past ~1e9 the HTTP clients overflow


class Settings(BaseModel):
    """Base of every settings model: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ProviderSettings(Settings):
    """Settings every HTTP provider takes. Subclasses add credentials (as ``SecretStr``) and defaults."""

    endpoint: str | None = Field(None, description="host, host:port or URL; the provider's public API when unset")
    timeout: float = Field(10.0, gt=0, le=MAX_TIMEOUT, allow_inf_nan=False, description="seconds for the whole request")
    connect_timeout: float = Field(5.0, gt=0, le=MAX_TIMEOUT, allow_inf_nan=False, description="seconds to connect")
    proxy: str | None = Field(None, description="HTTP proxy URL")

    @field_validator("endpoint")
    @classmethod
    def _endpoint_parses(cls, value: str | None) -> str | None:
        if value is not None:
            Endpoint.parse(value)  # a ValueError names what is wrong; the settings error names the field
        return value


def settings_problems(error: ValidationError, where: str) -> list[str]:
    """One line per pydantic problem, naming ``where`` and the field; never echoing values."""
    problems = []
    for item in error.errors():
        loc = ".".join(str(part) for part in item["loc"]) or "(settings)"
        text = "unknown setting" if item["type"] == "extra_forbidden" else item["msg"]
        problems.append(f"{where}: {loc}: {text}")
    return problems


def default_nonce() -> str:
    """A fresh nonce as 32 hex digits, never repeated (see :func:`~smsgate._models.new_id`)."""
    return new_id()


class Provider:
    """Base class of every provider. See the module docstring for the contract."""

    name: ClassVar[str] = ""
    settings_model: ClassVar[type[Settings]] = ProviderSettings
    max_recipients: ClassVar[int] = 1  # per request; the gateway splits larger messages
    takes_template: ClassVar[bool] = True  # sends a template code with params
    takes_text: ClassVar[bool] = False  # sends rendered text
    per_recipient_params: ClassVar[bool] = False  # one request can carry different params per phone
    batch_max_recipients: ClassVar[int | None] = None  # per request with per-recipient params (max_recipients)
    positional_params: ClassVar[bool] = False  # template params go as an ordered list
    default_endpoint: ClassVar[str] = ""  # the vendor's public API (host or URL) when ``endpoint`` is unset
    sign_name_setting: ClassVar[str] = "sign_name"  # the setting holding the default sign name

    def __init__(
        self,
        settings: ProviderSettings | Mapping[str, Any] | None = None,
        *,
        alias: str | None = None,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = default_nonce,
        **fields: Any,
    ) -> None:
        self.alias = alias or self.name
        self.clock = clock
        self.nonce = nonce
        self.settings = self.load_settings(settings, fields, where=f"provider {self.alias!r}")
        self._endpoint: Endpoint | None = None
        if isinstance(self.settings, ProviderSettings):
            where = self.settings.endpoint or self.public_endpoint()
            try:
                self._endpoint = Endpoint.parse(where) if where else None
            except ValueError as exc:
                raise ConfigError(f"provider {self.alias!r}: endpoint: {exc}") from None

    @classmethod
    def load_settings(cls, settings: Any, fields: Mapping[str, Any], *, where: str) -> Any:
        if isinstance(settings, cls.settings_model) and not fields:
            return settings
        data = dict(settings or {}) if not isinstance(settings, BaseModel) else settings.model_dump()
        data.update(fields)
        try:
            return cls.settings_model.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(settings_problems(exc, where)) from None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.alias!r}>"

    # -- settings, for subclasses ------------------------------------------------------------

    def public_endpoint(self) -> str:
        """The vendor's API when ``endpoint`` is unset: :attr:`default_endpoint`, or derived from
        settings (a region) by subclasses that override this."""
        return self.default_endpoint

    @property
    def endpoint(self) -> Endpoint:
        """The ``endpoint`` setting (or :meth:`public_endpoint`), parsed once."""
        if self._endpoint is None:
            raise ConfigError(f"provider {self.alias!r}: endpoint: not set, and the provider has no public default")
        return self._endpoint

    def template(self, message: Message) -> str | None:
        """The message's template code for this provider (its alias's or type's override first)."""
        return message.template_for(self.alias, self.name) if message.templates else message.template

    def sign_name(self, message: Message) -> str | None:
        """The message's sign name for this provider, else the default from settings (:attr:`sign_name_setting`)."""
        default = getattr(self.settings, self.sign_name_setting, None)
        if message.sign_names:
            return message.sign_name_for(self.alias, self.name, default=default)
        return message.sign_name or default

    # -- what the gateway calls -------------------------------------------------------------

    def check(self, message: Outgoing) -> None:
        """Raise :class:`InvalidRequest` if this provider cannot send ``message``; nothing is sent then.

        Template providers need a template code (and, with ``positional_params``, every param in
        the declared order); text providers need a text whose params are all given.
        """
        if self.takes_template and self.template(message):
            if self.positional_params:
                for phone in message.phones:
                    message.ordered_params(phone, self.param_order)
            return
        if self.takes_text and message.text is not None:
            for phone in message.phones:
                message.render(phone)
            return
        wanted, field = ("a template code", "template") if self.takes_template else ("a text", "text")
        raise InvalidRequest(f"provider {self.alias!r} needs {wanted}", field=field)

    @property
    def param_order(self) -> tuple[str, ...] | None:
        """The declared order of positional params from settings (``param_order``), if any."""
        order = getattr(self.settings, "param_order", None)
        return tuple(order) if order else None

    def batches(self, message: Outgoing, recipients: Sequence[PhoneNumber]) -> list[tuple[PhoneNumber, ...]]:
        """Split recipients into requests: grouped by :meth:`batch_key`, at most ``max_recipients`` each."""
        groups: dict[Hashable, list[PhoneNumber]] = {}
        for phone in recipients:
            groups.setdefault(self.batch_key(message, phone), []).append(phone)
        size = max(1, self.max_recipients)
        if message.recipient_params and self.per_recipient_params and self.batch_max_recipients:
            size = max(1, self.batch_max_recipients)
        return [tuple(group[i : i + size]) for group in groups.values() for i in range(0, len(group), size)]

    def batch_key(self, message: Outgoing, phone: PhoneNumber) -> Hashable:
        """Recipients with equal keys may share a request. By default: equal params, unless the
        provider takes per-recipient params natively."""
        if self.per_recipient_params or not message.recipient_params:
            return None
        return tuple(sorted(message.params_for(phone).items()))

    def build_request(self, message: Outgoing, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        """The one request that sends ``message`` to ``recipients``. Called again for each retry."""
        raise NotImplementedError

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        """One result per recipient of ``request``; raise a classified error if the whole request failed."""
        raise NotImplementedError

    # -- helpers for subclasses -------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        recipients: Sequence[PhoneNumber],
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        context: Mapping[str, Any] | None = None,
    ) -> HttpRequest:
        """An :class:`HttpRequest` carrying this provider's timeouts and proxy."""
        s: ProviderSettings = self.settings
        return HttpRequest(
            method,
            url,
            headers=dict(headers or {}),
            body=body,
            recipients=tuple(recipients),
            timeout=s.timeout,
            connect_timeout=s.connect_timeout,
            proxy=s.proxy,
            context=dict(context or {}),
        )

    def accepted(self, phone: PhoneNumber, message_id: str | None, raw: Any = None) -> RecipientResult:
        return RecipientResult(phone, Status.ACCEPTED, self.alias, message_id=message_id, raw=raw)

    # -- classifying failed replies ----------------------------------------------------------

    def http_error(
        self, response: HttpResponse, *, code: str | None = None, text: str | None = None, raw: Any = None
    ) -> SmsError:
        """The error for a reply that carries no success, by HTTP status, after the vendor's own codes:

        * 5xx: :class:`OutcomeUnknown`, whatever headers come with it (the request may have been
          processed: never resent, never failed over);
        * what :meth:`code_error` makes of the vendor's ``code`` (throttling, credentials…);
        * 429: :class:`Throttled` (retryable, after :meth:`retry_after`);
        * 401, 403: :class:`Rejected` as ``auth``; other 4xx: :class:`Rejected` as ``invalid``;
        * anything else (a 2xx or 3xx without a readable verdict): :class:`OutcomeUnknown`.

        ``code`` and ``text`` are the vendor's own words, ``raw`` the body; they go into the error.
        """
        status = response.status
        label = code or f"HTTP {status}"
        said = f": {text}" if text else ""
        kw: dict[str, Any] = {"provider": self.alias, "provider_code": label, "provider_message": text or None}
        kw["raw"] = raw
        if status >= 500:
            return OutcomeUnknown(f"server error (HTTP {status}), the message may have been sent{said}", **kw)
        if code:
            known = self.code_error(response, code, text or "", kw)
            if known is not None:
                return known
        if status == 429:
            return Throttled(f"rate limited{said}", retry_after=self.retry_after(response), **kw)
        if status in (401, 403):
            return Rejected(f"not authorised{said or ': ' + label}", category=Category.AUTH, **kw)
        if 400 <= status < 500:
            return Rejected(f"refused{said or ': ' + label}", category=Category.INVALID, **kw)
        return OutcomeUnknown(f"unreadable reply (HTTP {status}), the message may have been sent{said}", **kw)

    def code_error(self, response: HttpResponse, code: str, text: str, kw: dict[str, Any]) -> SmsError | None:
        """The error a vendor ``code`` in a non-5xx reply stands for, or ``None`` to classify by status.

        Override it for throttling and credential codes; pass ``**kw`` (provider, code, text, raw)
        to the error."""
        return None

    def retry_after(self, response: HttpResponse) -> float | None:
        """Seconds a throttled reply asks to wait (the standard ``Retry-After``; vendors override)."""
        return response.retry_after


class LocalProvider(Provider):
    """A provider that delivers in-process (development and test sinks); no HTTP involved."""

    settings_model = Settings
    takes_text = True
    max_recipients = 1000

    def deliver(self, message: Outgoing, recipients: Sequence[PhoneNumber]) -> list[RecipientResult]:
        raise NotImplementedError
