"""What every provider's receipt module shares: the request received, the answer, the parsed push.

A receipt module is sans-IO like a provider: :meth:`ReceiptParser.verify` checks that a pushed
request is authentic (returning a key for replay detection), :meth:`ReceiptParser.parse` turns it
into :class:`~smsgate.DeliveryReport` and :class:`~smsgate.InboundMessage` values and the answer
the provider expects. Providers with a query API also build pull requests and read their answers.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from pydantic import ConfigDict, Field, SecretStr, ValidationError

from .._errors import ConfigError, InvalidPhone, InvalidRequest, NotAuthentic
from .._http import HttpRequest, HttpResponse
from .._phone import PhoneNumber
from .._reports import DeliveryReport, InboundMessage
from ..providers.base import Provider, Settings, settings_problems

__all__ = [
    "BAD_REQUEST",
    "BEIJING",
    "REFUSED",
    "NotSupported",
    "Pending",
    "Push",
    "ReceiptParser",
    "ReceiptSettings",
    "Received",
    "Reply",
    "equal",
    "local_time",
    "opt_int",
    "opt_text",
    "phone_of",
    "rows",
]

BEIJING = timezone(timedelta(hours=8))
_E164 = re.compile(r"\+[1-9][0-9]{6,14}").fullmatch


class NotSupported(ConfigError):
    """The provider does not offer this way of reporting (``what``: ``"push"`` or ``"pull"``), or
    documents none smsgate could build on; nothing was asked or read."""

    def __init__(self, message: str, *, what: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.what = what


@dataclass(frozen=True)
class Received:
    """A request as an HTTP server received it. Header names are looked up in lower case."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes

    @classmethod
    def of(cls, method: str, url: str, headers: Mapping[str, str], body: bytes | str) -> Received:
        raw = body.encode() if isinstance(body, str) else bytes(body)
        return cls(method.upper(), url, {str(k).lower(): str(v) for k, v in headers.items()}, raw)

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.url).query, keep_blank_values=True)

    def form(self) -> list[tuple[str, str]]:
        """The form fields of the body (``application/x-www-form-urlencoded``), in order."""
        return list(self._form)

    @cached_property
    def _form(self) -> tuple[tuple[str, str], ...]:
        try:
            return tuple(parse_qsl(self.body.decode(), keep_blank_values=True, strict_parsing=bool(self.body)))
        except (UnicodeDecodeError, ValueError):
            raise InvalidRequest("the body is not a form", field="body") from None

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, ValueError):
            raise InvalidRequest("the body is not JSON", field="body") from None

    def fields(self) -> dict[str, str]:
        """Query, form or JSON-object fields as one dict of strings (GET or POST webhooks)."""
        pairs = list(self.query)
        kind = self.headers.get("content-type", "")
        if self.method != "GET" and self.body:
            if "json" in kind:
                data = self.json()
                if not isinstance(data, dict):
                    raise InvalidRequest("the body is not a JSON object", field="body")
                pairs += [(str(k), "" if v is None else str(v)) for k, v in data.items()]
            else:
                pairs += self.form()
        return dict(pairs)


@dataclass(frozen=True, slots=True)
class Reply:
    """What to answer the provider so that it does not push the same thing again."""

    status: int = 200
    content_type: str = "text/plain"
    body: bytes = b""


REFUSED = Reply(403, "text/plain", b"not authentic")
BAD_REQUEST = Reply(400, "text/plain", b"bad request")


@dataclass(slots=True)
class Push:
    """What one pushed request carried, and the answer to give."""

    reports: list[DeliveryReport] = field(default_factory=list)
    inbound: list[InboundMessage] = field(default_factory=list)
    reply: Reply = field(default_factory=Reply)
    subscribe_url: str | None = None  # AWS SNS: GET it to confirm the subscription
    pending: int = 0  # intermediate statuses (sent, buffered…) that settle nothing
    replay_key: str | None = None  # marked in the replay store; forgotten if recording fails


@dataclass(frozen=True, slots=True)
class Pending:
    """A sent message whose delivery is not known yet: what a pull asks about."""

    provider_message_id: str
    phone: str  # E.164
    sent_at: float


class ReceiptSettings(Settings):
    """What authenticates a provider's pushes. Unknown keys are ignored, so a provider's own
    settings can be passed as they are (credentials such as Twilio's ``auth_token`` are reused)."""

    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    path_token: SecretStr | None = Field(
        None, description="a secret the push URL's last path segment must equal (providers that do not sign)"
    )
    replay_window: float = Field(300.0, gt=0, description="seconds a signed timestamp may be old (or ahead)")
    default_region: str = Field("CN", description="the region of national numbers in receipts")


class ReceiptParser:
    """Base of the per-provider receipt modules; ``name`` is the provider type."""

    name: ClassVar[str] = ""
    settings_model: ClassVar[type[ReceiptSettings]] = ReceiptSettings
    needs_token: ClassVar[bool] = False  # the provider does not sign: a path token is required
    pushes: ClassVar[bool] = True  # False: the provider documents no push (receipts are pulled)
    blocking: ClassVar[bool] = False  # verify() may do network I/O (fetch a certificate)

    def __init__(
        self,
        settings: ReceiptSettings | Mapping[str, Any] | None = None,
        *,
        alias: str | None = None,
        pulling: bool = False,
    ) -> None:
        self.alias = alias or self.name
        if isinstance(settings, self.settings_model):
            self.settings = settings
        else:
            try:
                self.settings = self.settings_model.model_validate(dict(settings or {}))
            except ValidationError as exc:
                raise ConfigError(settings_problems(exc, f"receipts {self.alias!r}")) from None
        if self.needs_token and self.settings.path_token is None and not self.signs() and not pulling:
            raise ConfigError(f"receipts {self.alias!r}: path_token: required, {self.name} does not sign its pushes")

    def signs(self) -> bool:
        """Whether pushes are checked by signature with these settings."""
        return False

    def check_token(self, received: Received) -> None:
        token = self.settings.path_token
        if token is None:
            if self.needs_token and not self.signs():  # a parser built for pulling only
                raise self.refuse("no path token is configured to check pushes against", "token")
            return
        last = received.path.rstrip("/").rpartition("/")[2]
        if not equal(last, token.get_secret_value()):
            raise self.refuse("the URL does not carry the path token", "token")

    def verify(self, received: Received, now: float) -> str | None:
        """Raise :class:`NotAuthentic` unless ``received`` is authentic; the replay key when signed."""
        self.check_token(received)
        return None

    def parse(self, received: Received, now: float) -> Push:
        raise NotImplementedError

    # -- pull, where the provider has a query API -------------------------------------------

    can_pull: ClassVar[bool] = False
    pulls_by_message: ClassVar[bool] = True  # asks about sent messages (else: about whatever is new)

    def pull_requests(self, provider: Provider, pending: Sequence[Pending]) -> list[HttpRequest]:
        """The query requests that report on ``pending`` (and on anything the provider queued)."""
        raise NotImplementedError

    def pull_new(self, provider: Provider, since: float, now: float) -> list[HttpRequest]:
        """Queries for what the provider holds apart from the sent messages (replies since ``since``),
        made after the per-message queries; none by default."""
        return []

    def parse_pull(self, provider: Provider, request: HttpRequest, response: HttpResponse, now: float) -> Push:
        raise NotImplementedError

    # -- helpers ------------------------------------------------------------------------------

    def refuse(self, message: str, reason: str) -> NotAuthentic:
        return NotAuthentic(message, reason=reason, provider=self.alias)

    def check_fresh(self, when: float | None, now: float) -> None:
        if when is None:
            raise self.refuse("the signed timestamp is missing or unreadable", "timestamp")
        if abs(now - when) > self.settings.replay_window:
            raise self.refuse("the signed timestamp is outside the replay window", "stale")

    def phone(self, raw: Any) -> str:
        return phone_of(raw, self.settings.default_region)


def equal(given: str | bytes, expected: str | bytes) -> bool:
    """A constant-time comparison."""
    a = given.encode() if isinstance(given, str) else given
    b = expected.encode() if isinstance(expected, str) else expected
    return hmac.compare_digest(a, b)


def phone_of(raw: Any, region: str | None = None) -> str:
    """E.164 when ``raw`` parses as a mobile number, else the text as given. A number already in
    E.164 form is taken as it is: it is what was sent, and what the send log holds."""
    text = str(raw or "").strip()
    if _E164(text):
        return text
    try:
        return PhoneNumber.parse(text, region).e164
    except InvalidPhone:
        return text


def local_time(text: Any, fmt: str, tz: timezone = BEIJING) -> float | None:
    """Unix seconds of ``text`` in ``fmt`` (local to ``tz``), or ``None``."""
    try:
        return datetime.strptime(str(text), fmt).replace(tzinfo=tz).timestamp()
    except (TypeError, ValueError):
        return None


def opt_text(value: Any) -> str | None:
    """``value`` as text, ``None`` when absent or empty."""
    return None if value is None or value == "" else str(value)


def opt_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def rows(data: Any, what: str) -> list[Mapping[str, Any]]:
    """``data`` as a list of JSON objects (a single object counts as one)."""
    items = data if isinstance(data, list) else [data]
    if not all(isinstance(item, dict) for item in items):
        raise InvalidRequest(f"{what}: expected JSON objects", field="body")
    return items


Clock = Callable[[], float]
