"""Messages and results: what goes in, and what comes back for every recipient."""

from __future__ import annotations

import dataclasses
import enum
import os
import random
import string
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._errors import InvalidPhone, InvalidRequest, SmsError
from ._phone import PhoneNumber

__all__ = ["Attempt", "Message", "RecipientResult", "SendResult", "Sent", "Status"]

Phone = str | PhoneNumber


_ids = random.Random()  # seeded from os.urandom; never by code that seeds the ``random`` module
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_ids.seed)  # a forked worker must not repeat its parent's ids


def new_id() -> str:
    """A random 128-bit id as 32 hex digits (the shape of ``uuid4().hex``): message ids and nonces.

    Unique, not secret (a nonce only has to be new: the signature around it needs the key). Drawn
    from a private generator, since a system call per id costs more than the rest of a signature.
    """
    return _ids.getrandbits(128).to_bytes(16, "little").hex()


def _text(value: Any, where: str) -> Any:
    """``value`` if it is ``None`` or text that can be sent: a string holding no lone surrogate."""
    if value is None or (type(value) is str and value.isascii()):  # the usual cases, first
        return value
    if not isinstance(value, str):
        raise InvalidRequest(f"{where} must be a string", field=where)
    try:
        value.encode()
    except UnicodeEncodeError:  # never echo the value: it may be a one-time code
        raise InvalidRequest(f"{where} is not valid Unicode text (a lone surrogate)", field=where) from None
    return str(value)


def _texts(values: Any, where: str) -> dict[str, str]:
    """A copy of a ``{name: text}`` mapping (per-provider templates or sign names), every entry checked."""
    if not values:
        return {}
    if not isinstance(values, Mapping):
        raise InvalidRequest(f"{where} must be a mapping of provider names to strings", field=where)
    return {_text(k, where): _text(v, f"{where}.{k}") for k, v in values.items()}


def _frozen_params(params: Any, where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    if not params:
        return out
    if not isinstance(params, Mapping):
        raise InvalidRequest(f"{where} must be a mapping of names to values", field=where)
    for key, value in params.items():
        if not isinstance(key, str) or not key:
            raise InvalidRequest(f"{where}: parameter names must be non-empty strings", field=where)
        if not key.isascii():
            _text(key, where)
        if type(value) is str and value.isascii():  # the usual case, before the slower checks
            out[key] = value
            continue
        name = f"{where}.{key}"
        if value is None or isinstance(value, (Mapping, list, tuple, set, bytes)):
            raise InvalidRequest(f"{where}[{key!r}] must be a string or number", field=name)
        try:
            out[key] = _text(value if isinstance(value, str) else str(value), name)
        except ValueError:  # an int too long to print (over sys.get_int_max_str_digits())
            raise InvalidRequest(f"{where}[{key!r}] is a number too long to send", field=name) from None
    return out


def _recipients(to: Any) -> tuple[Any, ...]:
    if isinstance(to, (str, PhoneNumber)):
        return (to,)
    if to is None or isinstance(to, (bytes, Mapping)) or not isinstance(to, (Sequence, set, frozenset)):
        raise InvalidRequest("to must be a phone number or a list of phone numbers", field="to")
    return tuple(to)


def _order(names: Any) -> tuple[str, ...] | None:
    if names is None:
        return None
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise InvalidRequest("param_order must be a list of parameter names", field="param_order")
    return tuple(_text(n, "param_order") for n in names)


def _per_recipient(values: Any) -> dict[str, dict[str, str]]:
    if not values:
        return {}
    if not isinstance(values, Mapping):
        raise InvalidRequest("recipient_params must map phone numbers to params", field="recipient_params")
    where = "recipient_params"
    return {_text(str(k), where): _frozen_params(v, f"{where}[{k!r}]") for k, v in values.items()}


@dataclass(frozen=True, eq=False, init=False)
class Message:
    """One SMS to one or more recipients.

    ``template`` is the template code for template providers (Aliyun, Tencent, Huawei);
    ``text`` is a ``${name}`` text template for text providers (Twilio, SNS, Vonage); ``params``
    fill either. Per-provider overrides (``templates``, ``sign_names``) and per-recipient params
    stay apart from ``params``. ``idempotency_key`` makes a resend return the first result;
    ``out_id`` is passed to providers that echo a caller reference. ``secret_params`` names the
    params that carry secrets (one-time codes): development sinks mask them unless told otherwise.
    """

    to: Sequence[Phone]
    template: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    sign_name: str | None = None
    text: str | None = None
    templates: Mapping[str, str] = field(default_factory=dict)
    sign_names: Mapping[str, str] = field(default_factory=dict)
    param_order: Sequence[str] | None = None
    recipient_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    idempotency_key: str | None = None
    out_id: str | None = None
    extend_code: str | None = None
    secret_params: frozenset[str] = frozenset()

    def __init__(
        self,
        to: Sequence[Phone] | Phone,
        template: str | None = None,
        params: Mapping[str, Any] | None = None,
        sign_name: str | None = None,
        text: str | None = None,
        templates: Mapping[str, str] | None = None,
        sign_names: Mapping[str, str] | None = None,
        param_order: Sequence[str] | None = None,
        recipient_params: Mapping[str, Mapping[str, Any]] | None = None,
        idempotency_key: str | None = None,
        out_id: str | None = None,
        extend_code: str | None = None,
        secret_params: frozenset[str] | None = None,
    ) -> None:
        # every field checked and copied once, then stored in one step (the fields are frozen)
        vars(self).update(
            to=_recipients(to),
            template=_text(template, "template"),
            params=_frozen_params(params, "params"),
            sign_name=_text(sign_name, "sign_name"),
            text=_text(text, "text"),
            templates=_texts(templates, "templates"),
            sign_names=_texts(sign_names, "sign_names"),
            param_order=_order(param_order),
            recipient_params=_per_recipient(recipient_params),
            idempotency_key=_text(idempotency_key, "idempotency_key"),
            out_id=_text(out_id, "out_id"),
            extend_code=_text(extend_code, "extend_code"),
            secret_params=frozenset(secret_params) if secret_params else frozenset(),
        )

    def __repr__(self) -> str:  # params may hold one-time codes: never print them
        return f"Message(to={len(self.to)} recipient(s), template={self.template!r}, params={sorted(self.params)})"

    def replace(self, **changes: Any) -> Message:
        return dataclasses.replace(self, **changes)

    @property
    def phones(self) -> tuple[PhoneNumber, ...]:
        """The recipients, once :meth:`normalised` has parsed them."""
        parsed: tuple[PhoneNumber, ...] | None = vars(self).get("_phones")  # set by normalised()
        if parsed is not None:
            return parsed
        return tuple(p for p in self.to if isinstance(p, PhoneNumber))

    def normalised(self, region: str | None = None) -> Message:
        """Parse every recipient into E.164 (dropping duplicates) and check the basics.

        Raises :class:`InvalidRequest` naming every bad number at once; nothing is sent.
        """
        if vars(self).get("_phones") is self.to:  # normalised already
            return self
        if not self.to:
            raise InvalidRequest("the recipient list is empty", field="to")
        if not (self.template or self.text or self.templates):
            raise InvalidRequest("a template code or a text is required", field="template")
        phones: dict[str, PhoneNumber] = {}
        bad: list[InvalidPhone] = []
        for raw in self.to:
            try:
                phone = PhoneNumber.parse(raw, region)
            except InvalidPhone as exc:
                bad.append(exc)
            else:
                phones.setdefault(phone.e164, phone)
        if len(bad) == 1:
            raise bad[0]
        if bad:
            listed = "; ".join(e.message for e in bad)
            raise InvalidRequest(f"{len(bad)} invalid phone numbers: {listed}", field="to")
        per: dict[str, Mapping[str, str]] = {}
        for raw_key, values in self.recipient_params.items():
            try:
                key = PhoneNumber.parse(raw_key, region).e164
            except InvalidPhone as exc:
                raise InvalidRequest(f"recipient_params: {exc.message}", field="recipient_params") from exc
            if key not in phones:
                raise InvalidRequest(
                    f"recipient_params names {raw_key!r}, which is not a recipient", field="recipient_params"
                )
            per[key] = values
        return self._checked(tuple(phones.values()), per)

    def _checked(self, to: tuple[PhoneNumber, ...], recipient_params: dict[str, Mapping[str, str]]) -> Message:
        """A copy with ``to`` and ``recipient_params`` swapped in, skipping ``__post_init__``:
        every other field was checked and copied when this message was built."""
        copy = object.__new__(type(self))
        vars(copy).update(vars(self), to=to, recipient_params=recipient_params, _phones=to)
        return copy

    def template_for(self, *names: str) -> str | None:
        """The template code for the first of ``names`` with an override, else ``template``."""
        if self.templates:
            for name in names:
                if name in self.templates:
                    return self.templates[name]
        return self.template

    def sign_name_for(self, *names: str, default: str | None = None) -> str | None:
        if self.sign_names:
            for name in names:
                if name in self.sign_names:
                    return self.sign_names[name]
        return self.sign_name or default

    def params_for(self, phone: PhoneNumber) -> dict[str, str]:
        """``params`` with this recipient's own params laid over them."""
        own = self.recipient_params.get(phone.e164)
        return {**self.params, **own} if own else dict(self.params)

    def ordered_params(self, phone: PhoneNumber, order: Sequence[str] | None = None) -> list[str]:
        """Params as a positional list, for providers whose templates take ``{1}``, ``{2}``…

        The order comes from ``param_order`` on the message, else ``order`` (provider settings);
        never from dict order. A single param needs no declared order.
        """
        params = self.params_for(phone)
        names = self.param_order or order
        if names is None:
            if len(params) > 1:
                raise InvalidRequest(
                    "this provider takes positional template params: set param_order (on the message or "
                    "in the provider settings) to say which comes first",
                    field="param_order",
                )
            names = tuple(params)
        missing = [n for n in names if n not in params]
        if missing:
            raise InvalidRequest(f"missing template parameter(s): {', '.join(missing)}", field="params")
        return [params[n] for n in names]

    def render(self, phone: PhoneNumber) -> str:
        """The text with ``${name}`` params filled in; a missing param is an error naming it."""
        if self.text is None:
            raise InvalidRequest("this provider sends text: the message has no text", field="text")
        try:
            return string.Template(self.text).substitute(self.params_for(phone))
        except KeyError as exc:
            raise InvalidRequest(f"missing template parameter {exc.args[0]!r} for the text", field="params") from exc
        except ValueError as exc:
            raise InvalidRequest(f"the text is not a valid template: {exc}", field="text") from exc


class Status(str, enum.Enum):
    """What became of a recipient."""

    ACCEPTED = "accepted"  # the provider took it
    REJECTED = "rejected"  # the provider refused it
    FAILED = "failed"  # not sent: unreachable provider, smsgate policy, unusable provider
    UNKNOWN = "unknown"  # may have been sent: no verdict came back

    def __str__(self) -> str:
        return self.value

    @classmethod
    def of(cls, error: SmsError) -> Status:
        from ._errors import OutcomeUnknown, Rejected

        if isinstance(error, Rejected):
            return cls.REJECTED
        if isinstance(error, OutcomeUnknown):
            return cls.UNKNOWN
        return cls.FAILED


@dataclass(slots=True)
class RecipientResult:
    """The outcome for one phone. Read-only by convention."""

    phone: PhoneNumber
    status: Status
    provider: str | None = None
    message_id: str | None = None
    error: SmsError | None = None
    raw: Any = field(default=None, repr=False)  # the provider's own words: maybe what it was sent

    @property
    def ok(self) -> bool:
        return self.status is Status.ACCEPTED

    @classmethod
    def failed(
        cls, phone: PhoneNumber, error: SmsError, provider: str | None = None, raw: Any = None
    ) -> RecipientResult:
        return cls(phone, Status.of(error), provider or error.provider, error=error, raw=raw)

    def to_dict(self) -> dict[str, Any]:
        return {
            "phone": self.phone.e164,
            "status": self.status.value,
            "provider": self.provider,
            "message_id": self.message_id,
            "error": self.error.to_dict() if self.error else None,
        }


@dataclass(slots=True)
class Attempt:
    """One request sent (or tried) to one provider. Read-only by convention."""

    provider: str
    phones: tuple[str, ...] = field(repr=False)  # reprs end up in tracebacks
    status: Status
    error: SmsError | None = None
    started_at: float = 0.0
    elapsed: float = 0.0
    number: int = 1  # 1 for the first try at this provider, 2 for its first retry…

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "phones": list(self.phones),
            "status": self.status.value,
            "error": self.error.to_dict() if self.error else None,
            "started_at": self.started_at,
            "elapsed": self.elapsed,
            "number": self.number,
        }


@dataclass(slots=True)
class SendResult:
    """One line per recipient, every attempt, and the providers' raw responses. Read-only by convention."""

    recipients: tuple[RecipientResult, ...]
    attempts: tuple[Attempt, ...] = ()
    responses: tuple[Any, ...] = field(default=(), repr=False)
    message_id: str = field(default_factory=new_id)
    replayed: bool = False
    store_error: Exception | None = None  # the store or send log failed mid-send: nothing more was sent

    def __repr__(self) -> str:  # counts, not rows: a bulk result has thousands
        counts = Counter(r.status.value for r in self.recipients)
        parts = [f"{n} {status}" for status, n in sorted(counts.items())]
        failed = f", store_error={type(self.store_error).__name__}" if self.store_error is not None else ""
        return f"SendResult({', '.join(parts) or 'no recipients'}, attempts={len(self.attempts)}{failed})"

    @property
    def ok(self) -> bool:
        """True when every recipient was accepted."""
        return all(r.ok for r in self.recipients)

    @property
    def accepted(self) -> tuple[RecipientResult, ...]:
        return tuple(r for r in self.recipients if r.ok)

    @property
    def failed(self) -> tuple[RecipientResult, ...]:
        return tuple(r for r in self.recipients if not r.ok)

    @property
    def errors(self) -> tuple[SmsError, ...]:
        return tuple(r.error for r in self.recipients if r.error is not None)

    def __getitem__(self, phone: Phone) -> RecipientResult:
        key = phone.e164 if isinstance(phone, PhoneNumber) else phone
        for r in self.recipients:
            if key in (r.phone.e164, r.phone.national_number):
                return r
        raise KeyError(phone)

    def raise_for_status(self) -> SendResult:
        """Raise the first recipient's error if any recipient was not accepted."""
        for r in self.recipients:
            if r.error is not None:
                raise r.error
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "ok": self.ok,
            "replayed": self.replayed,
            **({"store_error": f"{type(self.store_error).__name__}: {self.store_error}"} if self.store_error else {}),
            "recipients": [r.to_dict() for r in self.recipients],
            "attempts": [a.to_dict() for a in self.attempts],
        }


@dataclass(frozen=True, slots=True)
class Sent:
    """One message of a bulk send (``send_many``) and what became of it: its :class:`SendResult`, or
    the error that refused it before anything was sent (bad input, a policy, a failing store)."""

    message: Message
    result: SendResult | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        """True when every recipient was accepted."""
        return self.result is not None and self.result.ok

    def __repr__(self) -> str:
        return f"Sent({self.result!r})" if self.result is not None else f"Sent(error={type(self.error).__name__})"
