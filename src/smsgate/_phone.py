"""Phone numbers as values: parsed once into E.164 with ``phonenumbers`` (imported on the first parse,
so that ``import smsgate`` stays light)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

from ._errors import InvalidPhone

__all__ = ["DEFAULT_REGION", "PhoneNumber", "mask_phone", "parser"]

DEFAULT_REGION = "CN"


def mask_phone(e164: str) -> str:
    """``+8613800138000`` → ``+86138****8000``: enough to correlate, not enough to dial."""
    if len(e164) <= 8:
        return e164[:2] + "****"
    return f"{e164[:6]}****{e164[-4:]}"


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A mobile number in E.164 form. Build one with :meth:`parse`."""

    e164: str
    country_code: int
    national_number: str
    region: str

    def __str__(self) -> str:
        return self.e164

    def __repr__(self) -> str:  # reprs end up in tracebacks and logs: not enough digits to dial
        return f"PhoneNumber({mask_phone(self.e164)!r})"

    @property
    def digits(self) -> str:
        """E.164 without the leading ``+`` (Vonage's form)."""
        return self.e164[1:]

    @property
    def idd(self) -> str:
        """The ``00``-prefixed international form."""
        return "00" + self.e164[1:]

    @property
    def is_mainland_china(self) -> bool:
        return self.country_code == 86

    @classmethod
    def parse(cls, raw: str | PhoneNumber, region: str | None = None) -> PhoneNumber:
        """Parse ``raw`` (national, ``+cc``, or ``00cc`` form) into a mobile number.

        ``region`` is the default region for national numbers (``CN`` when unset). Raises
        :class:`InvalidPhone`, naming the number, when it is not a valid mobile number.
        """
        if isinstance(raw, PhoneNumber):
            return raw
        if not isinstance(raw, str):
            raise InvalidPhone(f"a {type(raw).__name__}", "must be a string")  # never repr(): it may be huge
        raw, region = raw.strip(), (region or DEFAULT_REGION).upper()
        fast = _fast(region)
        if fast is not None:  # a plain national or +cc mobile: no cache, so unique numbers cost no memory
            pattern, code, plus = fast
            national = raw[len(plus) :] if plus and raw.startswith(plus) else raw
            if pattern.fullmatch(national):
                return _new(f"+{code}{national}", code, national, region)
        return _parse(raw, region)


@lru_cache(maxsize=256)
def parser(region: str | None) -> Callable[[Any], PhoneNumber]:
    """:meth:`PhoneNumber.parse` for ``region``, its fast path looked up once: for loops over many
    numbers (a message's recipients, a bulk run). Anything the fast path does not take goes to
    :meth:`PhoneNumber.parse`, so the answers (and errors) are the same."""
    region = (region or DEFAULT_REGION).upper()
    fast = _fast(region)
    if fast is None:
        return partial(PhoneNumber.parse, region=region)
    pattern, code, plus = fast
    prefix = f"+{code}"

    def parse(raw: Any) -> PhoneNumber:
        if type(raw) is str:
            national = raw[len(plus) :] if plus and raw.startswith(plus) else raw
            if pattern.fullmatch(national):
                return _new(prefix + national, code, national, region)
        return PhoneNumber.parse(raw, region)

    return parse


def _new(e164: str, country_code: int, national_number: str, region: str) -> PhoneNumber:
    """``PhoneNumber(...)`` for the fast path, in a third of the time: each field set through its
    slot's own descriptor (what a frozen dataclass's ``__init__`` reaches through
    ``object.__setattr__``, minus the lookups), since a bulk run parses a million."""
    phone = _blank(PhoneNumber)
    _set_e164(phone, e164)
    _set_country_code(phone, country_code)
    _set_national_number(phone, national_number)
    _set_region(phone, region)
    return phone


_blank = object.__new__
_set_e164, _set_country_code, _set_national_number, _set_region = (
    PhoneNumber.__dict__[name].__set__ for name in ("e164", "country_code", "national_number", "region")
)


@lru_cache(maxsize=65536)
def _parse(raw: str, region: str) -> PhoneNumber:
    import phonenumbers

    if raw.startswith("00"):
        raw = "+" + raw[2:]  # 00 is the IDD prefix in most regions, not in all (US dials 011)
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(raw, "cannot be parsed as a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(raw, "is not a valid phone number")
    kind = phonenumbers.PhoneNumberType
    if phonenumbers.number_type(number) not in (kind.MOBILE, kind.FIXED_LINE_OR_MOBILE):
        raise InvalidPhone(raw, "is not a mobile number")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    national = phonenumbers.national_significant_number(number)
    found = phonenumbers.region_code_for_number(number) or region
    return PhoneNumber(e164, int(number.country_code or 0), national, found)


@lru_cache(maxsize=256)
def _fast(region: str) -> tuple[re.Pattern[str], int, str] | None:
    """The fast path of ``region``: its national mobile pattern, its country code, and the ``+cc``
    prefix that may come before a national number (only when the code is this region's alone)."""
    pattern = _fast_path(region)
    if pattern is None:
        return None
    import phonenumbers

    code = phonenumbers.country_code_for_region(region)
    alone = phonenumbers.region_codes_for_country_code(code) == (region,)
    return pattern, code, f"+{code}" if alone else ""


@lru_cache(maxsize=256)
def _fast_path(region: str) -> re.Pattern[str] | None:
    """A regex that matches national mobile numbers of ``region`` exactly as ``phonenumbers`` does.

    It is the region's own mobile pattern from the library's metadata, used only for plain digit
    strings that no national-prefix rule could rewrite; anything else takes the full parser.
    """
    from phonenumbers import PhoneMetadata

    meta = PhoneMetadata.metadata_for_region(region)
    if meta is None or meta.mobile is None or meta.mobile.national_number_pattern is None:
        return None
    if meta.national_prefix_transform_rule:
        return None
    mobile = meta.mobile.national_number_pattern
    guard = f"(?!(?:{meta.national_prefix_for_parsing}))" if meta.national_prefix_for_parsing else ""
    prefix_guard = f"(?!{re.escape(meta.national_prefix)})" if meta.national_prefix else ""
    return re.compile(f"{guard}{prefix_guard}(?:{mobile})")
