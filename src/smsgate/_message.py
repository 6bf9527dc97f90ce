"""The message a caller sends (:class:`Message`) and the same message ready to send (:class:`Outgoing`)."""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from ._errors import InvalidPhone, InvalidRequest
from ._phone import PhoneNumber, parser

__all__ = ["Message", "Outgoing", "Phone"]

Phone = str | PhoneNumber


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
    if type(params) is not dict and not isinstance(params, Mapping):  # a plain dict skips the ABC check
        raise InvalidRequest(f"{where} must be a mapping of names to values", field=where)
    for key, value in params.items():
        if type(key) is str and type(value) is str and key and key.isascii() and value.isascii():
            out[key] = value  # the usual case, before the slower checks
            continue
        if not isinstance(key, str) or not key:
            raise InvalidRequest(f"{where}: parameter names must be non-empty strings", field=where)
        if not key.isascii():
            _text(key, where)
        if type(value) is str and value.isascii():
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
    if isinstance(names, str) or not isinstance(names, Sequence) or any(n is None for n in names):
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

    Every field is checked and copied when the message is built (``to`` becomes a tuple, the
    mappings plain dicts); :meth:`normalised` parses the recipients.
    """

    to: Sequence[Phone]  # or one phone (stored as a tuple)
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
        # every field checked, and copied where the caller could still change it; the usual cases
        # first (a bulk run builds a million of these). The fields go into the instance's dict at
        # once (a frozen dataclass cannot set them one by one but through object.__setattr__); a
        # field left unset reads its default from the class (None, no secret params).
        values: dict[str, Any] = {
            "to": (to,) if type(to) is str else _recipients(to),
            "params": _frozen_params(params, "params") if params else {},
            "templates": _texts(templates, "templates") if templates else {},
            "sign_names": _texts(sign_names, "sign_names") if sign_names else {},
            "recipient_params": _per_recipient(recipient_params) if recipient_params else {},
        }
        if template is not None:
            values["template"] = _text(template, "template")
        if sign_name is not None:
            values["sign_name"] = _text(sign_name, "sign_name")
        if text is not None:
            values["text"] = _text(text, "text")
        if idempotency_key is not None:
            values["idempotency_key"] = _text(idempotency_key, "idempotency_key")
        if out_id is not None:
            values["out_id"] = _text(out_id, "out_id")
        if extend_code is not None:
            values["extend_code"] = _text(extend_code, "extend_code")
        if param_order is not None:
            values["param_order"] = _order(param_order)
        if secret_params:
            values["secret_params"] = frozenset(secret_params)
        object.__setattr__(self, "__dict__", values)

    def __repr__(self) -> str:  # params may hold one-time codes: never print them
        return (
            f"{type(self).__name__}(to={len(self.to)} recipient(s), template={self.template!r}, "
            f"params={sorted(self.params)})"
        )

    def replace(self, **changes: Any) -> Message:
        """A new :class:`Message` with ``changes`` (a plain message: normalise it again to send it)."""
        return Message(**{name: getattr(self, name) for name in _FIELDS} | changes)

    def normalised(self, region: str | None = None) -> Outgoing:
        """This message ready to send: every recipient parsed into E.164 (duplicates dropped), the
        basics checked.

        Raises :class:`InvalidRequest` naming every bad number at once; nothing is sent.
        """
        if not self.to:
            raise InvalidRequest("the recipient list is empty", field="to")
        if not (self.template or self.text or self.templates):
            raise InvalidRequest("a template code or a text is required", field="template")
        parse = parser(region)
        if len(self.to) == 1 and not self.recipient_params:  # the usual message: one phone, shared params
            phone = parse(self.to[0])  # raises InvalidPhone naming it, as below
            return self._ready((phone,), {})
        phones: dict[str, PhoneNumber] = {}
        bad: list[InvalidPhone] = []
        for raw in self.to:
            try:
                phone = parse(raw)
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
        return self._ready(tuple(phones.values()), per)

    def _ready(
        self,
        phones: tuple[PhoneNumber, ...],
        recipient_params: Mapping[str, Mapping[str, str]],
        params: Mapping[str, str] | None = None,
    ) -> Outgoing:
        """This message (its fields checked already) to ``phones``, parsed; ``_batching`` builds its
        merged messages with it too."""
        ready = object.__new__(Outgoing)  # its fields are checked already: no __init__ setting each again
        values: dict[str, Any] = vars(self).copy()  # a copy is one memory copy; a merge inserts key by key
        values["to"] = values["phones"] = phones
        values["recipient_params"] = recipient_params
        if params is not None:
            values["params"] = params
        object.__setattr__(ready, "__dict__", values)
        return ready

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


@dataclass(frozen=True, eq=False, repr=False)
class Outgoing(Message):
    """A message ready to send (what :meth:`Message.normalised` returns, what providers are given):
    ``phones`` are the recipients parsed into E.164, without duplicates (``to`` holds the same), and
    ``recipient_params`` are keyed by E.164."""

    phones: tuple[PhoneNumber, ...] = field(kw_only=True)

    def __post_init__(self) -> None:
        """Only ``phones`` is checked: the other fields come from a :class:`Message` that checked them."""
        phones = self.phones
        if type(phones) is not tuple or not all([isinstance(p, PhoneNumber) for p in phones]):
            raise TypeError("Outgoing.phones must be a tuple of PhoneNumber: build it with Message.normalised()")
        object.__setattr__(self, "to", phones)

    def normalised(self, region: str | None = None) -> Outgoing:
        """Itself: its recipients are parsed already."""
        if not self.phones:
            raise InvalidRequest("the recipient list is empty", field="to")
        return self

    def part(self, phones: Sequence[PhoneNumber]) -> Outgoing:
        """The same message to ``phones`` only (some of its recipients), with their own params."""
        keys = {phone.e164 for phone in phones}
        return self._ready(tuple(phones), {k: v for k, v in self.recipient_params.items() if k in keys})


_FIELDS = tuple(f.name for f in fields(Message))
