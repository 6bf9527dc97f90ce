"""How Aliyun's answers map onto smsgate's errors (provider-specs §1.7 and §8).

Business outcomes come back as HTTP 200 with a ``Code`` (``isv.*``, ``isp.*``); gateway problems
(signature, credentials, API throttling) as 4xx/5xx JSON. ``isp.*`` system errors and 5xx (whatever
``Retry-After`` or ``x-acs-retry-after`` come with them) are unknown outcomes: SendSms is not
idempotent, so they are never resent by default.
"""

from __future__ import annotations

from typing import Any

from .._errors import Category, OutcomeUnknown, Rejected, SmsError, Throttled
from .._http import HttpResponse

__all__ = ["business_error", "gateway_error", "retry_after"]


def retry_after(response: HttpResponse) -> float | None:
    """Seconds to wait: ``x-acs-retry-after`` is in milliseconds (as the SDK reads it), else ``Retry-After``."""
    value = response.headers.get("x-acs-retry-after")
    if value:
        try:
            millis = int(value)
        except ValueError:
            return None
        return millis / 1000 if millis > 0 else None
    return response.retry_after


def business_error(code: str, text: str, provider: str, raw: Any) -> SmsError:
    """The error for an HTTP-200 ``isv.*`` / ``isp.*`` code (spec §1.7)."""
    if code in _UNKNOWN_OUTCOME or (code.startswith("isp.") and code not in _BUSINESS):
        return OutcomeUnknown(
            f"Aliyun system error, the message may have been sent: {text}",
            provider=provider,
            provider_code=code,
            provider_message=text,
            raw=raw,
        )
    if code == "isv.BUSINESS_LIMIT_CONTROL":  # per-number window: minutes to a day
        return Throttled(
            f"rate limited for this number: {text}",
            provider=provider,
            provider_code=code,
            provider_message=text,
            retryable=False,
            raw=raw,
        )
    category = _BUSINESS.get(code, Category.INVALID)
    return Rejected(
        f"rejected: {text or code}",
        provider=provider,
        provider_code=code,
        provider_message=text,
        category=category,
        raw=raw,
    )


def gateway_error(response: HttpResponse, code: str, text: str, kw: dict[str, Any]) -> SmsError | None:
    """The error for a gateway ``Code`` in a 4xx reply (5xx are unknown outcomes before this is asked):
    throttling, a reused nonce, credentials; ``None`` leaves the rest to the HTTP status."""
    wait = retry_after(response)
    if wait is not None or code.startswith("Throttling") or code == "Rejected.Throttling":
        return Throttled(f"API rate limit: {text or code}", retry_after=wait, **kw)
    if code == "SignatureNonceUsed":  # not processed; a retry is signed with a fresh nonce
        return Rejected(f"nonce reused: {text}", category=Category.INVALID, retryable=True, **kw)
    if code.startswith(_AUTH_PREFIXES):
        return Rejected(f"not authorised: {text or code}", category=Category.AUTH, **kw)
    return None


_UNKNOWN_OUTCOME = frozenset({"isp.SYSTEM_ERROR", "isp.GATEWAY_ERROR", "isp.UNKNOWN"})
_AUTH_PREFIXES = (
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "InvalidAccessKeyId",
    "InvalidSecurityToken",
    "Forbidden",
    "NoPermission",
)
_BUSINESS: dict[str, Category] = {
    **dict.fromkeys(["isv.DAY_LIMIT_CONTROL", "isv.MONTH_LIMIT_CONTROL", "isv.AMOUNT_NOT_ENOUGH"], Category.QUOTA),
    "isv.OUT_OF_SERVICE": Category.QUOTA,
    **dict.fromkeys(
        ["isv.MOBILE_NUMBER_ILLEGAL", "isv.DOMESTIC_NUMBER_NOT_SUPPORTED", "isv.BLACK_LIST"], Category.RECIPIENT
    ),
    **dict.fromkeys(
        [
            "isv.SMS_SIGNATURE_ILLEGAL",
            "isv.SMS_SIGN_ILLEGAL",
            "isv.SIGN_STATE_ILLEGAL",
            "isv.SMS_SIGNATURE_SCENE_ILLEGAL",
            "isv.SMS_TEMPLATE_ILLEGAL",
            "isv.TEMPLATE_MISSING_PARAMETERS",
            "isv.INVALID_JSON_PARAM",
            "isv.PARAM_LENGTH_LIMIT",
            "isv.PARAM_NOT_SUPPORT_URL",
            "isv.BLACK_KEY_CONTROL_LIMIT",
            "isv.SMS_CONTENT_ILLEGAL",
        ],
        Category.TEMPLATE,
    ),
    **dict.fromkeys(
        [
            "isv.PRODUCT_UN_SUBSCRIPT",
            "isv.PRODUCT_UNSUBSCRIBE",
            "isv.ACCOUNT_NOT_EXISTS",
            "isv.ACCOUNT_ABNORMAL",
            "isv.DENY_IP_RANGE",
            "isp.RAM_PERMISSION_DENY",
        ],
        Category.AUTH,
    ),
    **dict.fromkeys(
        ["isv.MOBILE_COUNT_OVER_LIMIT", "isv.INVALID_PARAMETERS", "isv.EXTEND_CODE_ERROR"], Category.INVALID
    ),
}
