"""The provider base: endpoints parsed once, one HTTP-status ladder every provider extends."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Category, ConfigError, Endpoint, HttpResponse, Message, OutcomeUnknown, Provider, Throttled
from smsgate.providers.aliyun import AliyunProvider
from smsgate.providers.huawei import HuaweiProvider
from smsgate.providers.sns import SnsProvider
from smsgate.providers.tencent import TencentProvider
from smsgate.providers.twilio import TwilioProvider
from smsgate.providers.vonage import VonageProvider

SETTINGS: dict[type[Provider], dict[str, Any]] = {
    AliyunProvider: {"access_key_id": "AK", "access_key_secret": "S", "sign_name": "Sign"},
    TencentProvider: {"secret_id": "AKID", "secret_key": "S", "sdk_app_id": "1400", "sign_name": "Sign"},
    HuaweiProvider: {"app_key": "K", "app_secret": "S", "sender": "csms1"},
    TwilioProvider: {"account_sid": "AC1", "auth_token": "T", "from": "+15005550006"},
    SnsProvider: {"access_key_id": "AK", "secret_access_key": "S"},
    VonageProvider: {"api_key": "k", "api_secret": "s", "from": "Acme"},
}
PROVIDERS = list(SETTINGS)


def build(cls: type[Provider], **extra: Any) -> Provider:
    return cls({**SETTINGS[cls], **extra})


def message_for(provider: Provider) -> Message:
    return Message(to="+14155550101", template="T1", text="hi ${code}", params={"code": "1"}).normalised()


@pytest.mark.parametrize("cls", PROVIDERS, ids=lambda c: c.name)
@pytest.mark.parametrize("endpoint", ["http://", "ftp://example.com", "example.com:99999", "https://x/?q=1", " "])
def test_a_bad_endpoint_is_a_config_error_naming_the_field(cls: type[Provider], endpoint: str) -> None:
    with pytest.raises(ConfigError) as info:
        build(cls, endpoint=endpoint)
    assert "endpoint" in str(info.value) and "Traceback" not in str(info.value)


@pytest.mark.parametrize("cls", PROVIDERS, ids=lambda c: c.name)
def test_endpoint_is_parsed_once_and_used_for_requests(cls: type[Provider]) -> None:
    provider = build(cls, endpoint="127.0.0.1:9000/prefix/")
    assert provider.endpoint == Endpoint("http://127.0.0.1:9000/prefix", "127.0.0.1:9000")
    message = message_for(provider)
    request = provider.build_request(message, message.phones)
    assert request.url.startswith("http://127.0.0.1:9000/prefix/")
    assert build(cls).endpoint.base.startswith("https://")


@pytest.mark.parametrize("cls", PROVIDERS, ids=lambda c: c.name)
@given(
    status=st.integers(500, 599),
    headers=st.dictionaries(
        st.sampled_from(["retry-after", "x-acs-retry-after", "content-type"]), st.sampled_from(["1", "1000", "0"])
    ),
    body=st.sampled_from(
        [
            b"",
            b"not json",
            b'{"Code": "Throttling.User", "Message": "flow control"}',
            b'{"code": 20429, "message": "Too many requests"}',
            b'{"Response": {"Error": {"Code": "RequestLimitExceeded", "Message": "x"}}}',
            b"<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>",
        ]
    ),
)
def test_a_5xx_is_an_unknown_outcome_whatever_comes_with_it(
    cls: type[Provider], status: int, headers: dict[str, str], body: bytes
) -> None:
    provider = build(cls)
    message = message_for(provider)
    request = provider.build_request(message, message.phones)
    with pytest.raises(OutcomeUnknown) as info:
        provider.parse(request, HttpResponse(status, headers, body))
    error = info.value
    assert error.category is Category.UNKNOWN and not error.retryable and not error.failover


@pytest.mark.parametrize("cls", [AliyunProvider, HuaweiProvider, TwilioProvider, SnsProvider, VonageProvider])
def test_a_429_is_throttled_and_waits_as_asked(cls: type[Provider]) -> None:
    provider = build(cls)
    message = message_for(provider)
    request = provider.build_request(message, message.phones)
    with pytest.raises(Throttled) as info:
        provider.parse(request, HttpResponse(429, {"retry-after": "2"}, b""))
    assert info.value.retryable and info.value.retry_after == 2.0


@pytest.mark.parametrize("cls", PROVIDERS, ids=lambda c: c.name)
@pytest.mark.parametrize(("status", "category"), [(401, Category.AUTH), (403, Category.AUTH), (400, Category.INVALID)])
def test_4xx_without_a_vendor_code(cls: type[Provider], status: int, category: Category) -> None:
    provider = build(cls)
    message = message_for(provider)
    request = provider.build_request(message, message.phones)
    with pytest.raises(Exception) as info:
        provider.parse(request, HttpResponse(status, {}, b""))
    assert getattr(info.value, "category", None) is category


def test_template_and_sign_name_helpers_take_overrides_then_settings() -> None:
    provider = build(HuaweiProvider, signature="FromSettings")
    plain = Message(to="13800138000", template="T")
    assert provider.template(plain) == "T" and provider.sign_name(plain) == "FromSettings"
    custom = Message(to="13800138000", template="T", templates={"huawei": "H1"}, sign_names={"huawei": "S1"})
    assert provider.template(custom) == "H1" and provider.sign_name(custom) == "S1"


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 1e15, 3601, 0, -1, "inf", "1" * 5000])
@pytest.mark.parametrize("name", ["timeout", "connect_timeout"])
def test_non_finite_or_absurd_timeouts_are_refused_naming_the_setting(name: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=f"^provider 'aliyun': {name}: ") as info:
        AliyunProvider(access_key_id="a", access_key_secret="b", **{name: value})
    assert len(info.value.problems) == 1
