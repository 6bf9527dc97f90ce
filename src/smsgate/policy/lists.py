"""The phone blocklist (kept in the store, so every process sees it) and the country allowlist."""

from __future__ import annotations

from collections.abc import Iterable

from .._phone import PhoneNumber
from ..stores.base import Store

__all__ = ["Blocklist", "CountryAllowlist"]


class Blocklist:
    """Phones that must never get a message. ``add``/``remove`` take any form the gateway parses."""

    def __init__(self, store: Store, *, region: str | None = None) -> None:
        self.store = store
        self.region = region

    @staticmethod
    def key(e164: str) -> str:
        return f"block:{e164}"

    def _e164(self, phone: str | PhoneNumber) -> str:
        return PhoneNumber.parse(phone, self.region).e164

    def add(self, phone: str | PhoneNumber, *, ttl: float | None = None) -> None:
        self.store.set(self.key(self._e164(phone)), "1", ttl)

    def remove(self, phone: str | PhoneNumber) -> None:
        self.store.delete(self.key(self._e164(phone)))

    def __contains__(self, phone: object) -> bool:
        if not isinstance(phone, (str, PhoneNumber)):
            return False
        return self.store.get(self.key(self._e164(phone))) is not None


class CountryAllowlist:
    """Only these countries may be sent to: ISO regions (``"CN"``) or calling codes (``86``, ``"+86"``)."""

    def __init__(self, countries: Iterable[str | int]) -> None:
        self.regions: set[str] = set()
        self.codes: set[int] = set()
        for item in countries:
            text = str(item).strip().upper().lstrip("+")
            if text.isdigit():
                self.codes.add(int(text))
            elif len(text) == 2 and text.isalpha():
                self.regions.add(text)
            else:
                raise ValueError(f"CountryAllowlist: {item!r} is neither a region code nor a calling code")

    def __repr__(self) -> str:
        return f"CountryAllowlist({sorted(self.regions) + [f'+{c}' for c in sorted(self.codes)]})"

    def allows(self, phone: PhoneNumber) -> bool:
        return phone.region in self.regions or phone.country_code in self.codes
