"""TencentProvider: TC3 vectors, settings, params, error classes, and sends over HTTP to the fake."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate import (
    Category,
    ConfigError,
    Gateway,
    HttpResponse,
    InvalidRequest,
    Message,
    OutcomeUnknown,
    Rejected,
    RetryPolicy,
    SendResult,
    Status,
    Throttled,
)
from smsgate._config import load_config
from smsgate.providers.tencent import TencentProvider, classify, tc3_authorization
from tests.fakes.server import Received
from tests.fakes.tencent import SDK_APP_ID, SECRET_ID, SECRET_KEY, TencentFake, verify_tc3
from tests.waits import wait_until

VECTOR_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
VECTOR_KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
CN = ["+8613800138000", "+8613900139000"]
INTL = ["+447911123456", "+85291234567"]


def provider(clock: Callable[[], float] = time.time, **fields: Any) -> TencentProvider:
    base = {"secret_id": SECRET_ID, "secret_key": SECRET_KEY, "sdk_app_id": SDK_APP_ID, "sign_name": "腾讯云"}
    return TencentProvider({**base, **fields}, clock=clock)


def normalised(**fields: Any) -> Message:
    return Message(**{"to": CN[:1], "template": "1110", "params": {"code": "1234"}, **fields}).normalised()


# -- signing vectors (provider-specs §7.3) -------------------------------------------------------


def test_tc3_documentation_vector() -> None:
    body = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    header = tc3_authorization(
        VECTOR_ID,
        VECTOR_KEY,
        service="cvm",
        host="cvm.tencentcloudapi.com",
        timestamp=1551113065,
        body=body,
        content_type="application/json; charset=utf-8",
    )
    assert header.endswith("Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168")
    assert f"Credential={VECTOR_ID}/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, " in header


def test_send_sms_request_matches_the_sdk_capture() -> None:
    p = TencentProvider(secret_id=VECTOR_ID, secret_key=VECTOR_KEY, sdk_app_id="1400006666", clock=lambda: 1700000000.0)
    message = Message(
        to=["+8613800000000"],
        template="1110",
        params={"code": "1234", "minutes": 5},
        param_order=["code", "minutes"],
        sign_name="腾讯云",
        out_id="ctx-1",
    ).normalised()
    request = p.build_request(message, message.phones)
    assert request.method == "POST" and request.url == "https://sms.tencentcloudapi.com/"
    assert request.body == (
        b'{"PhoneNumberSet": ["+8613800000000"], "SmsSdkAppId": "1400006666", "TemplateId": "1110", '
        b'"SignName": "\\u817e\\u8baf\\u4e91", "TemplateParamSet": ["1234", "5"], "SessionContext": "ctx-1"}'
    )
    assert dict(request.headers) == {
        "Host": "sms.tencentcloudapi.com",
        "Content-Type": "application/json",
        "X-TC-Action": "SendSms",
        "X-TC-Version": "2021-01-11",
        "X-TC-Timestamp": "1700000000",
        "X-TC-Region": "ap-guangzhou",
        "Authorization": f"TC3-HMAC-SHA256 Credential={VECTOR_ID}/2023-11-14/sms/tc3_request, "
        "SignedHeaders=content-type;host, "
        "Signature=360d84233c07550d29702e4e5543984e6fbe50e0ed1d03a868ba04800ade04da",
    }


def received(request: Any) -> Received:
    headers = {k.lower(): v for k, v in request.headers.items()}
    return Received("POST", "/", [], headers, request.body)


@settings(max_examples=60, deadline=None)
@given(
    params=st.lists(st.text(min_size=1), min_size=1, max_size=4),
    sign_name=st.text(min_size=1),
)
def test_any_unicode_params_and_sign_name_verify_in_the_fake(params: list[str], sign_name: str) -> None:
    names = [f"p{i}" for i in range(len(params))]
    p = provider(param_order=names, endpoint="sms.example:8443")
    message = Message(
        to=CN, template="7", params=dict(zip(names, params, strict=True)), sign_name=sign_name
    ).normalised()
    request = p.build_request(message, message.phones)
    fake = TencentFake()
    reply = fake.answer(received(request))
    assert [row["Code"] for row in reply["SendStatusSet"]] == ["Ok", "Ok"]
    assert [(d.params, d.sign_name) for d in fake.delivered] == [(params, sign_name)] * 2
    tampered = request.body.replace(b"PhoneNumberSet", b"PhoneNumberSeT")
    headers = received(request).headers
    assert verify_tc3("POST", "/", "", headers, tampered, fake.credentials, time.time()) is not None


def test_fake_rejects_a_wrong_scope_date_and_a_stale_timestamp() -> None:
    request = provider(clock=lambda: time.time() - 400).build_request(normalised(), normalised().phones)
    assert TencentFake().answer(received(request))["Error"]["Code"] == "AuthFailure.SignatureExpire"
    request = provider().build_request(normalised(), normalised().phones)
    headers = received(request).headers
    headers["authorization"] = headers["authorization"].replace("/sms/", "/cvm/")
    problem = verify_tc3("POST", "/", "", headers, request.body, {SECRET_ID: SECRET_KEY}, time.time())
    assert problem is not None and problem[0] == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize(
    ("phones", "code"),
    [
        ([CN[0], INTL[0]], "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber"),
        ([f"+861380013{i:04d}" for i in range(201)], "LimitExceeded.PhoneNumberCountLimit"),
    ],
)
def test_fake_refuses_mixed_and_oversized_requests(phones: list[str], code: str) -> None:
    message = Message(to=phones, template="1").normalised()
    request = provider().build_request(message, message.phones)  # bypassing the provider's batching
    reply = TencentFake().answer(received(request))
    assert reply["Error"]["Code"] == code
    with pytest.raises(Rejected) as info:
        provider().parse(request, HttpResponse(200, {}, json.dumps({"Response": reply}).encode()))
    assert info.value.category is Category.INVALID and info.value.provider_code == code


# -- settings ----------------------------------------------------------------------------------


def test_settings_reject_unknown_keys_and_hide_the_secret() -> None:
    with pytest.raises(ConfigError) as info:
        provider(secret_kye="x")
    assert "secret_kye: unknown setting" in str(info.value)
    with pytest.raises(ConfigError, match="sdk_app_id"):
        TencentProvider(secret_id="a", secret_key=SECRET_KEY)
    p = provider()
    assert p.settings.region == "ap-guangzhou" and p.max_recipients == 200
    assert provider(region="ap-beijing").build_request(normalised(), normalised().phones).headers["X-TC-Region"] == (
        "ap-beijing"
    )
    assert SECRET_KEY not in repr(p) + repr(p.settings) + str(p.settings.model_dump())


@pytest.mark.parametrize(
    ("endpoint", "url", "host"),
    [
        (None, "https://sms.tencentcloudapi.com/", "sms.tencentcloudapi.com"),
        (
            "sms.ap-guangzhou.tencentcloudapi.com",
            "https://sms.ap-guangzhou.tencentcloudapi.com/",
            "sms.ap-guangzhou.tencentcloudapi.com",
        ),
        ("127.0.0.1:9000", "http://127.0.0.1:9000/", "127.0.0.1:9000"),  # loopback: http
        ("http://127.0.0.1:9000/", "http://127.0.0.1:9000/", "127.0.0.1:9000"),
    ],
)
def test_endpoint_override(endpoint: str | None, url: str, host: str) -> None:
    p = provider(endpoint=endpoint, timeout=3, proxy="http://proxy:3128")
    request = p.build_request(normalised(), normalised().phones)
    assert (request.url, request.headers["Host"], request.timeout, request.proxy) == (url, host, 3, "http://proxy:3128")


# -- params and batching -------------------------------------------------------------------------


def test_params_follow_the_declared_order_never_dict_order() -> None:
    message = normalised(params={"b": "2", "a": "1"})
    body = json.loads(provider(param_order=["a", "b"]).build_request(message, message.phones).body)
    assert body["TemplateParamSet"] == ["1", "2"]
    message = normalised(params={"b": "2", "a": "1"}, param_order=["b", "a"])
    body = json.loads(provider(param_order=["a", "b"]).build_request(message, message.phones).body)
    assert body["TemplateParamSet"] == ["2", "1"]


def test_missing_param_is_46001_before_anything_is_sent(tencent_fake: TencentFake) -> None:
    message = Message(to=CN, template="1110", params={"code": "1"})
    with (
        Gateway({"tencent": tencent_fake.settings(param_order=["code", "minutes"])}) as gateway,
        pytest.raises(InvalidRequest) as info,
    ):
        gateway.send(message)
    assert info.value.code == 46001 and info.value.field == "params" and "minutes" in str(info.value)
    assert tencent_fake.requests == []


def test_mainland_numbers_need_a_sign_name(tencent_fake: TencentFake) -> None:
    with Gateway({"tencent": tencent_fake.settings(sign_name=None)}) as gateway:
        with pytest.raises(InvalidRequest) as info:
            gateway.send(Message(to=CN, template="1", params={"c": "1"}))
        assert info.value.field == "sign_name" and tencent_fake.requests == []
        assert gateway.send(Message(to=INTL, template="1", params={"c": "1"})).ok


def test_batches_never_mix_mainland_and_international() -> None:
    message = Message(to=[CN[0], INTL[0], CN[1], INTL[1]], template="1").normalised()
    batches = provider().batches(message, message.phones)
    assert [[p.e164 for p in b] for b in batches] == [CN, INTL]


# -- classification (provider-specs §2.5, §8) ---------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind", "category", "retryable"),
    [
        ("RequestLimitExceeded", Throttled, Category.THROTTLED, True),
        ("RequestLimitExceeded.UinLimitExceeded", Throttled, Category.THROTTLED, True),
        ("LimitExceeded.PhoneNumberDailyLimit", Throttled, Category.THROTTLED, False),
        ("LimitExceeded.PhoneNumberThirtySecondLimit", Throttled, Category.THROTTLED, False),
        ("LimitExceeded.AppDailyLimit", Rejected, Category.QUOTA, False),
        ("FailedOperation.InsufficientBalanceInSmsPackage", Rejected, Category.QUOTA, False),
        ("InvalidParameterValue.IncorrectPhoneNumber", Rejected, Category.RECIPIENT, False),
        ("FailedOperation.PhoneNumberInBlacklist", Rejected, Category.RECIPIENT, False),
        ("FailedOperation.TemplateParamSetNotMatchApprovedTemplate", Rejected, Category.TEMPLATE, False),
        ("FailedOperation.SignatureIncorrectOrUnapproved", Rejected, Category.TEMPLATE, False),
        ("AuthFailure.SignatureFailure", Rejected, Category.AUTH, False),
        ("AuthFailure.SecretIdNotFound", Rejected, Category.AUTH, False),
        ("UnauthorizedOperation.SmsSdkAppIdVerifyFail", Rejected, Category.AUTH, False),
        ("InvalidParameterValue.SdkAppIdNotExist", Rejected, Category.AUTH, False),
        ("LimitExceeded.PhoneNumberCountLimit", Rejected, Category.INVALID, False),
        ("MissingParameter.EmptyPhoneNumberSet", Rejected, Category.INVALID, False),
        ("UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber", Rejected, Category.INVALID, False),
        ("InternalError.Timeout", OutcomeUnknown, Category.UNKNOWN, False),
        ("SomethingNew", Rejected, Category.UNKNOWN, False),
    ],
)
def test_classify(code: str, kind: type, category: Category, retryable: bool) -> None:
    error = classify(code, "text")
    assert type(error) is kind and error.category is category and error.retryable is retryable
    assert error.provider_code == code


@pytest.mark.parametrize(
    ("status", "body"),
    [(200, b"<html>"), (200, b'{"Response": {"RequestId": "x"}}'), (200, b"[]"), (502, b""), (302, b"")],
)
def test_odd_replies_are_unknown_outcomes(status: int, body: bytes) -> None:
    message = normalised()
    request = provider().build_request(message, message.phones)
    with pytest.raises(OutcomeUnknown):
        provider().parse(request, HttpResponse(status, {}, body))


def test_a_number_missing_from_the_reply_is_unknown() -> None:
    message = normalised(to=CN)
    request = provider().build_request(message, message.phones)
    row = {"PhoneNumber": CN[0], "Code": "Ok", "SerialNo": "5000:1"}
    rows = provider().parse(request, HttpResponse(200, {}, json.dumps({"Response": {"SendStatusSet": [row]}}).encode()))
    assert [(r.status, r.message_id) for r in rows] == [(Status.ACCEPTED, "5000:1"), (Status.UNKNOWN, None)]
    assert rows[1].error is not None and rows[1].error.provider == "tencent"


def test_statuses_from_something_in_between() -> None:
    message = normalised()
    request = provider().build_request(message, message.phones)
    with pytest.raises(Throttled) as throttled:
        provider().parse(request, HttpResponse(429, {"retry-after": "2"}, b""))
    assert not throttled.value.retryable and throttled.value.failover and throttled.value.retry_after == 2.0
    with pytest.raises(Rejected) as rejected:
        provider().parse(request, HttpResponse(404, {}, b"{}"))
    assert rejected.value.category is Category.INVALID and rejected.value.provider_code == "HTTP 404"


# -- over real HTTP, sync and async -----------------------------------------------------------


def test_success(tencent_fake: TencentFake, send: Callable[..., SendResult]) -> None:
    message = Message(
        to=CN, template="1110", params={"code": "1234", "min": 5}, param_order=["code", "min"], out_id="o1"
    )
    result = send({"tencent": tencent_fake.settings()}, message)
    assert result.ok and [r.message_id for r in result.recipients] == [d.serial_no for d in tencent_fake.delivered]
    assert [(d.phone, d.params, d.sign_name, d.session_context) for d in tencent_fake.delivered] == [
        (phone, ["1234", "5"], "腾讯云", "o1") for phone in CN
    ]


def test_gateway_throttle_is_retried(tencent_fake: TencentFake, send: Callable[..., SendResult]) -> None:
    tencent_fake.fail_next_request("RequestLimitExceeded")
    result = send({"tencent": tencent_fake.settings()}, Message(to=CN, template="1", params={"c": "1"}))
    assert result.ok and len(tencent_fake.requests) == 2 and len(tencent_fake.delivered) == 2
    tencent_fake.fail_next_request("RequestLimitExceeded.UinLimitExceeded")
    result = send({"tencent": tencent_fake.settings()}, Message(to=CN, template="1"), retry=RetryPolicy(max_attempts=1))
    error = result[CN[0]].error
    assert isinstance(error, Throttled) and error.retryable and result[CN[0]].status is Status.REJECTED


def test_per_number_limit_is_not_retried(tencent_fake: TencentFake, send: Callable[..., SendResult]) -> None:
    tencent_fake.fail_phone(CN[1], "LimitExceeded.PhoneNumberOneHourLimit")
    result = send({"tencent": tencent_fake.settings()}, Message(to=CN, template="1", params={"c": "1"}))
    error = result[CN[1]].error
    assert isinstance(error, Throttled) and not error.retryable and error.category is Category.THROTTLED
    assert len(tencent_fake.requests) == 1


def test_one_number_fails_inside_a_successful_batch(tencent_fake: TencentFake, send: Callable[..., SendResult]) -> None:
    tencent_fake.fail_phone(CN[1], "FailedOperation.PhoneNumberInBlacklist")
    result = send({"tencent": tencent_fake.settings()}, Message(to=CN, template="1", params={"c": "1"}))
    assert result[CN[0]].ok and result[CN[0]].message_id == tencent_fake.delivered[0].serial_no
    row = result[CN[1]]
    assert row.status is Status.REJECTED and row.provider == "tencent"
    assert row.error is not None and row.error.provider_code == "FailedOperation.PhoneNumberInBlacklist"
    assert row.error.category is Category.RECIPIENT and row.error.provider == "tencent"
    assert [d.phone for d in tencent_fake.delivered] == CN[:1]


def test_template_failure_from_the_fake(tencent_fake: TencentFake, send: Callable[..., SendResult]) -> None:
    tencent_fake.fail_template("999")
    result = send({"tencent": tencent_fake.settings()}, Message(to=CN, template="999"))
    assert {r.error.category for r in result.recipients if r.error} == {Category.TEMPLATE}


def test_auth_failure_and_secrets_stay_out(
    tencent_fake: TencentFake, send: Callable[..., SendResult], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-secret-key-that-must-not-leak"
    result = send({"tencent": tencent_fake.settings(secret_key=wrong)}, Message(to=CN, template="1"))
    error = result[CN[0]].error
    assert isinstance(error, Rejected) and error.category is Category.AUTH and error.failover
    assert error.provider_code == "AuthFailure.SignatureFailure" and tencent_fake.delivered == []
    shown = [str(error), repr(error), json.dumps(error.to_dict()), json.dumps(result.to_dict(), default=str)]
    shown.append(caplog.text)
    shown += [repr(r) for r in result.recipients]
    assert not any(wrong in text or SECRET_KEY in text for text in shown)
    result = send({"tencent": tencent_fake.settings(secret_id="AKIDnobody")}, Message(to=CN, template="1"))
    assert result[CN[0]].error.provider_code == "AuthFailure.SecretIdNotFound"  # type: ignore[union-attr]


def test_server_error_is_an_unknown_outcome(tencent_fake: TencentFake, send: Callable[..., SendResult]) -> None:
    assert tencent_fake.server is not None
    tencent_fake.server.fail_next(status=502, text="bad gateway")
    result = send({"tencent": tencent_fake.settings()}, Message(to=CN, template="1"))
    assert all(r.status is Status.UNKNOWN for r in result.recipients)
    assert isinstance(result[CN[0]].error, OutcomeUnknown) and len(tencent_fake.requests) == 1


def test_timeout_after_arrival_is_unknown_with_one_delivery(
    tencent_fake: TencentFake, send: Callable[..., SendResult]
) -> None:
    assert tencent_fake.server is not None
    tencent_fake.server.fail_next(delay=30.0, after=True)  # cut short when the client hangs up
    result = send({"tencent": tencent_fake.settings(timeout=0.2)}, Message(to=CN[:1], template="1"))
    assert result[CN[0]].status is Status.UNKNOWN and isinstance(result[CN[0]].error, OutcomeUnknown)
    # the client may give up before the server has read the request: wait for it to arrive
    wait_until(lambda: len(tencent_fake.delivered) >= 1, what="the request to arrive")
    assert len(tencent_fake.delivered) == 1 and len(tencent_fake.requests) == 1


def test_450_numbers_go_in_three_requests(tencent_fake: TencentFake, send: Callable[..., SendResult]) -> None:
    phones = [f"+861380013{i:04d}" for i in range(450)]
    result = send({"tencent": tencent_fake.settings()}, Message(to=phones, template="1", params={"c": "1"}))
    assert result.ok and len(result.recipients) == 450
    sizes = sorted(len(r.json()["PhoneNumberSet"]) for r in tencent_fake.requests)
    assert sizes == [50, 200, 200] and len(tencent_fake.delivered) == 450


def test_mixed_message_is_split_by_kind(tencent_fake: TencentFake, send: Callable[..., SendResult]) -> None:
    message = Message(to=[CN[0], INTL[0], CN[1], INTL[1]], template="1", params={"c": "1"})
    result = send({"tencent": tencent_fake.settings()}, message)
    assert result.ok
    groups = sorted(r.json()["PhoneNumberSet"] for r in tencent_fake.requests)
    assert groups == sorted([CN, INTL])


# -- the docs' examples run as written ----------------------------------------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "providers" / "tencent.md"


def doc_block(language: str) -> str:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)[0]


def test_doc_python_example(tencent_fake: TencentFake, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("TENCENT_SMS_ENDPOINT", tencent_fake.endpoint)
    exec(compile(doc_block("python"), str(DOC), "exec"), {"__name__": "docs_example"})
    assert [(d.phone, d.params) for d in tencent_fake.delivered] == [(p, ["4711", "5"]) for p in CN]
    assert capsys.readouterr().out.count("accepted") == 2


def test_doc_config_example(tencent_fake: TencentFake, tmp_path: Path) -> None:
    path = tmp_path / "smsgate.toml"
    path.write_text(doc_block("toml"), encoding="utf-8")
    env = {
        "TENCENTCLOUD_SECRET_ID": SECRET_ID,
        "TENCENTCLOUD_SECRET_KEY": SECRET_KEY,
        "SMSGATE_PROVIDERS__TENCENT__ENDPOINT": tencent_fake.endpoint,
    }
    with load_config(path, environ=env).gateway() as gateway:
        result = gateway.send(Message(to=CN[:1], template="1110", params={"code": "1", "minutes": "2"}))
    assert result.ok and tencent_fake.delivered[0].params == ["1", "2"]


def test_fakes_combine_for_failover(tencent_fake: TencentFake, huawei_fake: Any) -> None:
    """A refused auth at Tencent moves the message to the next provider (here Huawei's fake)."""
    providers = {"tencent": tencent_fake.settings(secret_key="wrong"), "huawei": huawei_fake.settings()}
    with Gateway(providers) as gateway:
        result = gateway.send(Message(to=CN, template="1", templates={"huawei": "t1"}))
    assert result.ok and {r.provider for r in result.recipients} == {"huawei"}
    assert tencent_fake.delivered == [] and len(huawei_fake.delivered) == 2
