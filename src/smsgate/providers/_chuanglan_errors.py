"""Chuanglan (253) result codes, classified: what each means for retrying and failing over."""

from __future__ import annotations

from typing import Any

from .._errors import Category, OutcomeUnknown, Rejected, SmsError, Throttled

__all__ = ["code_error"]

_CATEGORIES: dict[str, Category] = {
    **dict.fromkeys(["101", "102", "117", "118", "119", "145"], Category.AUTH),
    **dict.fromkeys(["109", "111", "144"], Category.QUOTA),
    **dict.fromkeys(["116", "158", "124", "125", "152"], Category.TEMPLATE),
    **dict.fromkeys(["107", "108", "133"], Category.RECIPIENT),
    **dict.fromkeys(["106", "128", "129", "130", "132", "136", "153", "154"], Category.INVALID),
}
_WINDOWS = {"105", "110", "120", "134", "135", "139", "159"}  # per-number or account windows: not now


def code_error(code: str, text: str, kw: dict[str, Any]) -> SmsError:
    """The error a non-success ``code`` stands for; an unlisted code is an unknown outcome."""
    if code == "103":  # submitted too fast: refused before processing, safe to retry
        return Throttled(f"submitted too fast: {text or code}", **kw)
    if code in _WINDOWS:
        return Throttled(f"rate limited: {text or code}", retryable=False, **kw)
    category = _CATEGORIES.get(code)
    if category is None:  # 104 (system busy) and anything undocumented: it may have been processed
        return OutcomeUnknown(f"no usable verdict ({code}): {text}", **kw)
    return Rejected(f"refused: {text or code}", category=category, **kw)
