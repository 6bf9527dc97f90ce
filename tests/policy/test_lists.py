"""The blocklist (in a store) and the country allowlist."""

from __future__ import annotations

import pytest

from smsgate import PhoneNumber
from smsgate.policy import Blocklist, CountryAllowlist
from smsgate.stores import MemoryStore


def test_blocklist_normalises_every_form() -> None:
    blocklist = Blocklist(MemoryStore())
    blocklist.add("138 0013 8000")
    assert "+8613800138000" in blocklist and "008613800138000" in blocklist
    assert "13800138001" not in blocklist and 42 not in blocklist
    blocklist.remove("+86 13800138000")
    assert "13800138000" not in blocklist


def test_allowlist_by_region_or_calling_code() -> None:
    allow = CountryAllowlist(["CN", "+1"])
    assert allow.allows(PhoneNumber.parse("13800138000"))
    assert allow.allows(PhoneNumber.parse("+12025550123"))
    assert not allow.allows(PhoneNumber.parse("+447911123456"))
    assert "CN" in repr(allow) and "+1" in repr(allow)


def test_allowlist_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="China"):
        CountryAllowlist(["China"])
