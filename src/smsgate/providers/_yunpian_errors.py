"""Yunpian result codes, classified: what each means for retrying and failing over."""

from __future__ import annotations

from typing import Any

from .._errors import Category, OutcomeUnknown, Rejected, SmsError, Throttled

__all__ = ["code_error"]

_CATEGORIES: dict[int, Category] = {
    **dict.fromkeys([-1, -3, -50], Category.AUTH),  # wrong or disabled API key, IP not allowed
    3: Category.QUOTA,  # balance too low
    5: Category.TEMPLATE,  # no such template
    10: Category.RECIPIENT,  # the number is blacklisted
    **dict.fromkeys([1, 2, -51], Category.INVALID),  # missing or malformed parameters, API version
}
_WINDOWS = {8, 9, 17, 22, 33}  # the same number too often: a window, not now


def code_error(code: int, text: str, kw: dict[str, Any]) -> SmsError:
    """The error a non-zero ``code`` stands for; a server-side or unlisted code is an unknown outcome."""
    if code in _WINDOWS:
        return Throttled(f"rate limited for this number: {text}", retryable=False, **kw)
    category = _CATEGORIES.get(code)
    if category is None:  # server errors (-5 … -100 and below) and anything undocumented
        return OutcomeUnknown(f"no usable verdict ({code}): {text}", **kw)
    return Rejected(f"refused: {text or code}", category=category, **kw)
