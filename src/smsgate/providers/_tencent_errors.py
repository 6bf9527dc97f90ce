"""How Tencent Cloud's error codes map onto smsgate's errors (provider-specs §2.5)."""

from __future__ import annotations

from typing import Any

from .._errors import Category, OutcomeUnknown, Rejected, SmsError, Throttled

__all__ = ["classify"]

_EXACT: dict[str, Category] = {
    "LimitExceeded.PhoneNumberCountLimit": Category.INVALID,
    "LimitExceeded.AppDailyLimit": Category.QUOTA,
    "LimitExceeded.AppMainlandChinaDailyLimit": Category.QUOTA,
    "LimitExceeded.AppGlobalDailyLimit": Category.QUOTA,
    "LimitExceeded.DailyLimit": Category.QUOTA,
    "LimitExceeded.AppCountryOrRegionDailyLimit": Category.QUOTA,
    "InvalidParameterValue.IncorrectPhoneNumber": Category.RECIPIENT,
    "FailedOperation.PhoneNumberParseFail": Category.RECIPIENT,
    "FailedOperation.PhoneNumberInBlacklist": Category.RECIPIENT,
    "UnsupportedOperation.UnsupportedRegion": Category.RECIPIENT,
    "FailedOperation.SignatureIncorrectOrUnapproved": Category.TEMPLATE,
    "FailedOperation.MissingSignatureList": Category.TEMPLATE,
    "FailedOperation.TemplateIncorrectOrUnapproved": Category.TEMPLATE,
    "FailedOperation.TemplateUnapprovedOrNotExist": Category.TEMPLATE,
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": Category.TEMPLATE,
    "FailedOperation.TemplateIdNotExist": Category.TEMPLATE,
    "InvalidParameterValue.TemplateParameterFormatError": Category.TEMPLATE,
    "InvalidParameterValue.TemplateParameterLengthLimit": Category.TEMPLATE,
    "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter": Category.TEMPLATE,
    "InvalidParameterValue.ContentLengthLimit": Category.TEMPLATE,
    "FailedOperation.ContainSensitiveWord": Category.TEMPLATE,
    "InvalidParameter.DirtyWordFound": Category.TEMPLATE,
    "UnsupportedOperation.ChineseMainlandTemplateToGlobalPhone": Category.TEMPLATE,
    "UnsupportedOperation.GlobalTemplateToChineseMainlandPhone": Category.TEMPLATE,
    "FailedOperation.InsufficientBalanceInSmsPackage": Category.QUOTA,
    "UnauthorizedOperation.ServiceSuspendDueToArrears": Category.QUOTA,
    "InvalidParameterValue.SdkAppIdNotExist": Category.AUTH,
}

_PREFIXES: tuple[tuple[str, Category], ...] = (
    ("AuthFailure", Category.AUTH),
    ("UnauthorizedOperation", Category.AUTH),
    ("MissingParameter", Category.INVALID),
    ("InvalidParameter", Category.INVALID),
    ("UnsupportedOperation", Category.INVALID),
    ("FailedOperation", Category.INVALID),
)


def classify(code: str, message: str, *, raw: Any = None) -> SmsError:
    """The error for a Tencent ``Code`` (spec §2.5), wherever it appeared in the reply."""
    text = message or "the provider refused it"
    if code.startswith("RequestLimitExceeded"):  # the API gateway's QPS limit: nothing was processed
        return Throttled(text, provider_code=code, provider_message=message, raw=raw)
    if code.startswith("InternalError"):
        return OutcomeUnknown(text, provider_code=code, provider_message=message, raw=raw)
    category = _EXACT.get(code)
    if category is None and code.startswith("LimitExceeded"):  # per-number windows of 30 s to a day
        return Throttled(text, provider_code=code, provider_message=message, retryable=False, raw=raw)
    if category is None:
        category = next((c for prefix, c in _PREFIXES if code.startswith(prefix)), Category.UNKNOWN)
    return Rejected(text, category=category, provider_code=code, provider_message=message, raw=raw)
