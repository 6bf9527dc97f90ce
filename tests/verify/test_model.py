"""The policy numbers and the verification value."""

from __future__ import annotations

import pytest

from smsgate import SmsError
from smsgate.verify import Budget, Verification, VerificationFailed, VerificationStatus, VerifyPolicy


def test_defaults_are_the_published_numbers() -> None:
    p = VerifyPolicy()
    assert (p.digits, p.ttl, p.max_attempts, p.max_sends, p.resend_cooldown) == (6, 600, 5, 5, 30)


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"digits": 4}, "allow_short_codes"),
        ({"digits": 11}, "4–10"),
        ({"digits": 3, "allow_short_codes": True}, "4–10"),
        ({"max_attempts": 6}, "max_attempts"),
        ({"max_sends": 6}, "max_sends"),
        ({"ttl": 601}, "600"),
        ({"ttl": 59}, "60"),
    ],
)
def test_numbers_outside_the_bar_are_refused(options: dict[str, object], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        VerifyPolicy(**options)  # type: ignore[arg-type]


def test_short_codes_by_explicit_opt_in() -> None:
    assert VerifyPolicy(digits=4, allow_short_codes=True).digits == 4


def test_ttl_caps_by_purpose() -> None:
    p = VerifyPolicy()
    assert p.ttl_for("login", None) == 600 and p.ttl_for("signup", 86400) == 86400
    with pytest.raises(ValueError):
        p.ttl_for("2fa", 900)


def test_budget_windows_are_fixed_and_named() -> None:
    key, limit, ttl = Budget(5, 3600).window("sends:phone", "+86138", 7200.5)
    assert (key, limit) == ("verify:budget:sends:phone:+86138:2", 5) and ttl == pytest.approx(3600.5)
    with pytest.raises(ValueError):
        Budget(-1)


def test_the_failure_says_nothing_specific() -> None:
    error = VerificationFailed()
    assert isinstance(error, SmsError) and error.code == 46020
    assert error.to_dict() == VerificationFailed().to_dict() and "code is not valid" in str(error)


def test_verification_to_dict() -> None:
    v = Verification("id1", "+8613800138000", "login", VerificationStatus.PENDING, 0.0, 1, 0)
    assert v.to_dict()["status"] == "pending" and v.to_dict()["expires_at"] == "1970-01-01T00:00:00+00:00"
    assert not v.approved and str(VerificationStatus.APPROVED) == "approved"
