"""AliyunProvider over real loopback HTTP against the fake Aliyun: Gateway (urllib3) and
AsyncGateway (aiohttp) side by side."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsgate import AsyncGateway, Category, Gateway, Message, RetryPolicy, SendResult, Status
from smsgate.providers.aliyun import AliyunProvider, DeliveryStatus
from tests.fakes.aliyun import AliyunFake
from tests.waits import wait_until

KINDS = ["sync", "async"]
NO_RETRY = RetryPolicy(max_attempts=1)


def send(kind: str, settings: dict[str, Any], message: Message, **options: Any) -> SendResult:
    """Send through a fresh Gateway or AsyncGateway with the default transport."""
    provider = AliyunProvider(settings)
    options.setdefault("retry", NO_RETRY)
    if kind == "sync":
        with Gateway([provider], **options) as gateway:
            return gateway.send(message)

    async def run() -> SendResult:
        async with AsyncGateway([provider], **options) as gateway:
            return await gateway.send(message)

    return asyncio.run(run())


def secrets_absent(result: SendResult, *secrets: str) -> None:
    texts = [repr(result), str(result.to_dict())]
    for error in result.errors:
        texts += [str(error), repr(error), str(error.to_dict()), str(error.raw)]
    for text in texts:
        for secret in secrets:
            assert secret not in text


@pytest.mark.parametrize("kind", KINDS)
def test_single_send(kind: str, aliyun_server: AliyunFake) -> None:
    message = Message("+86 138 0013 8000", template="SMS_1", params={"code": "12 34"}, out_id="o-1")
    result = send(kind, aliyun_server.settings(), message)
    assert result.ok
    (row,) = result.recipients
    (delivery,) = aliyun_server.delivered
    assert (delivery.phone, delivery.template_code, delivery.params) == ("13800138000", "SMS_1", {"code": "12 34"})
    assert (delivery.sign_name, delivery.out_id, delivery.action) == ("阿里云短信测试", "o-1", "SendSms")
    assert row.message_id == delivery.biz_id and row.provider == "aliyun"


@pytest.mark.parametrize("kind", KINDS)
def test_2500_phones_make_three_requests(kind: str, aliyun_server: AliyunFake) -> None:
    phones = [f"138{i:08d}" for i in range(2500)]
    result = send(kind, aliyun_server.settings(), Message(phones, template="SMS_1", params={"code": "1"}))
    assert result.ok and len(result.recipients) == 2500
    assert len(aliyun_server.server.requests) == 3  # type: ignore[union-attr]
    assert sorted(aliyun_server.phones()) == sorted(phones)
    assert sorted(len(q["PhoneNumbers"].split(",")) for q in map(dict, _queries(aliyun_server))) == [500, 1000, 1000]
    by_biz = {r.message_id for r in result.recipients}
    assert len(by_biz) == 3


def _queries(fake: AliyunFake) -> list[list[tuple[str, str]]]:
    assert fake.server is not None
    return [r.query for r in fake.server.requests]


@pytest.mark.parametrize("kind", KINDS)
def test_send_batch_sms_with_per_recipient_params(kind: str, aliyun_server: AliyunFake) -> None:
    phones = [f"139{i:08d}" for i in range(150)]
    per = {p: {"code": str(i)} for i, p in enumerate(phones)}
    message = Message(phones, template="SMS_2", params={"shop": "小店"}, recipient_params=per)
    result = send(kind, aliyun_server.settings(), message)
    assert result.ok and len(result.recipients) == 150
    assert len(aliyun_server.server.requests) == 2  # type: ignore[union-attr]
    got = {d.phone: d.params for d in aliyun_server.delivered}
    assert got == {p: {"shop": "小店", "code": str(i)} for i, p in enumerate(phones)}
    assert {d.action for d in aliyun_server.delivered} == {"SendBatchSms"}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("signature_version", ["v3", "v2"])
def test_both_signatures_are_accepted(kind: str, signature_version: str, aliyun_server: AliyunFake) -> None:
    settings = aliyun_server.settings(signature_version=signature_version)
    message = Message(["13800138000", "13900139000"], template="SMS_1", recipient_params={"13800138000": {"a": "b+c"}})
    assert send(kind, settings, message).ok
    assert send(kind, settings, Message("13800138000", template="SMS_1", params={"x": "~*'() &="})).ok
    assert {d.signature for d in aliyun_server.delivered} == {"v3" if signature_version == "v3" else "rpc"}


@pytest.mark.parametrize("kind", KINDS)
def test_business_error_is_a_rejection(kind: str, aliyun_server: AliyunFake) -> None:
    aliyun_server.fail_phone("13800138000", "isv.MOBILE_NUMBER_ILLEGAL", "invalid number")
    result = send(kind, aliyun_server.settings(), Message("13800138000", template="SMS_1"))
    (row,) = result.recipients
    assert row.status is Status.REJECTED and row.error is not None
    assert (row.error.category, row.error.provider_code) == (Category.RECIPIENT, "isv.MOBILE_NUMBER_ILLEGAL")
    assert aliyun_server.delivered == []


@pytest.mark.parametrize("kind", KINDS)
def test_business_limit_control_is_throttled_not_retried(kind: str, aliyun_server: AliyunFake) -> None:
    aliyun_server.fail_template("SMS_1", "isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1")
    result = send(kind, aliyun_server.settings(), Message("13800138000", template="SMS_1"), retry=RetryPolicy())
    (row,) = result.recipients
    assert row.error is not None and row.error.category is Category.THROTTLED and not row.error.retryable
    assert len(result.attempts) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_gateway_throttle_waits_x_acs_retry_after_then_succeeds(kind: str, aliyun_server: AliyunFake) -> None:
    aliyun_server.throttle_next(retry_after=0.04)
    slept: list[float] = []

    async def async_sleep(seconds: float) -> None:
        slept.append(seconds)

    sleep = slept.append if kind == "sync" else async_sleep
    policy = RetryPolicy(base_delay=0.001, random=lambda: 0.0)
    result = send(kind, aliyun_server.settings(), Message("13800138000", template="SMS_1"), retry=policy, sleep=sleep)
    assert result.ok and [a.number for a in result.attempts] == [1, 2]
    assert result.attempts[0].error is not None and result.attempts[0].error.provider_code == "Throttling.User"
    assert slept == [0.04]
    assert len(aliyun_server.delivered) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_throttle_without_retries_reports_retry_after(kind: str, aliyun_server: AliyunFake) -> None:
    aliyun_server.throttle_next(retry_after=2)
    (row,) = send(kind, aliyun_server.settings(), Message("13800138000", template="SMS_1")).recipients
    assert row.error is not None and row.error.retry_after == 2.0 and row.error.retryable


@pytest.mark.parametrize("kind", KINDS)
def test_bad_secret_is_auth(kind: str, aliyun_server: AliyunFake, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings = {**aliyun_server.settings(), "access_key_secret": "wrong-SECRET-xyz"}
    result = send(kind, settings, Message("13800138000", template="SMS_1", params={"code": "9"}))
    (row,) = result.recipients
    assert row.status is Status.REJECTED and row.error is not None
    assert (row.error.category, row.error.provider_code) == (Category.AUTH, "SignatureDoesNotMatch")
    assert aliyun_server.delivered == []
    secrets_absent(result, "wrong-SECRET-xyz", "testSecret")
    assert "wrong-SECRET-xyz" not in caplog.text


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_access_key_is_auth(kind: str, aliyun_server: AliyunFake) -> None:
    settings = {**aliyun_server.settings(), "access_key_id": "nobody"}
    (row,) = send(kind, settings, Message("13800138000", template="SMS_1")).recipients
    assert row.error is not None
    assert (row.error.category, row.error.provider_code) == (Category.AUTH, "InvalidAccessKeyId.NotFound")


@pytest.mark.parametrize("kind", KINDS)
def test_server_error_is_an_unknown_outcome_not_retried(kind: str, aliyun_server: AliyunFake) -> None:
    body = {"RequestId": "R", "HostId": "dysmsapi.aliyuncs.com", "Code": "InternalError", "Message": "oops"}
    aliyun_server.server.fail_next(status=500, json=body, after=True)  # type: ignore[union-attr]
    result = send(kind, aliyun_server.settings(), Message("13800138000", template="SMS_1"), retry=RetryPolicy())
    (row,) = result.recipients
    assert row.status is Status.UNKNOWN and row.error is not None and row.error.provider_code == "InternalError"
    assert len(result.attempts) == 1 and len(aliyun_server.delivered) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_timeout_after_arrival_is_unknown_and_delivered_once(kind: str, aliyun_server: AliyunFake) -> None:
    aliyun_server.server.fail_next(delay=30.0, after=True)  # type: ignore[union-attr]
    settings = aliyun_server.settings(timeout=0.3)
    result = send(kind, settings, Message("13800138000", template="SMS_1"), retry=RetryPolicy())
    (row,) = result.recipients
    assert row.status is Status.UNKNOWN and row.error is not None and row.error.category is Category.UNKNOWN
    assert len(result.attempts) == 1
    wait_until(lambda: len(aliyun_server.delivered) >= 1, what="the request to arrive")
    assert len(aliyun_server.delivered) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_connection_refused_is_unreachable(kind: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = {"access_key_id": "AK", "access_key_secret": "never-SHOWN", "sign_name": "S"}
    settings["endpoint"] = f"127.0.0.1:{port}"
    result = send(kind, settings, Message("13800138000", template="SMS_1"))
    (row,) = result.recipients
    assert row.status is Status.FAILED and row.error is not None and row.error.category is Category.UNREACHABLE
    secrets_absent(result, "never-SHOWN")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("form", ["endpoint", "url"])
def test_endpoint_as_host_port_or_url(kind: str, form: str, aliyun_server: AliyunFake) -> None:
    assert aliyun_server.server is not None
    settings = {**aliyun_server.settings(), "endpoint": getattr(aliyun_server.server, form)}
    assert send(kind, settings, Message("13800138000", template="SMS_1")).ok


@pytest.mark.parametrize("kind", KINDS)
def test_sts_token_is_checked(kind: str, aliyun_server: AliyunFake) -> None:
    aliyun_server.tokens["testAK"] = "sts-OK-token"
    good = aliyun_server.settings(security_token="sts-OK-token")
    assert send(kind, good, Message("13800138000", template="SMS_1")).ok
    bad = aliyun_server.settings(security_token="sts-BAD-token")
    result = send(kind, bad, Message("13800138000", template="SMS_1"))
    assert result.errors[0].category is Category.AUTH
    secrets_absent(result, "sts-BAD-token", "sts-OK-token")


def test_sync_and_async_results_are_identical(aliyun_server: AliyunFake) -> None:
    aliyun_server.fail_phone("13900139000", "isv.MOBILE_NUMBER_ILLEGAL")
    messages = [
        Message(["13800138000", "+85291234567"], template="SMS_1", params={"code": "1"}),
        Message(["13800138000", "13900139000"], template="SMS_1"),
        Message(["13800138000", "13700137000"], template="SMS_1", recipient_params={"13700137000": {"c": "2"}}),
    ]

    def view(result: SendResult) -> list[tuple[Any, ...]]:
        return [
            (r.phone.e164, r.status, r.provider, r.error.provider_code if r.error else None, bool(r.message_id))
            for r in result.recipients
        ]

    for message in messages:
        sync = send("sync", aliyun_server.settings(), message)
        async_ = send("async", aliyun_server.settings(), message)
        assert view(sync) == view(async_)
        assert [(a.provider, a.phones, a.status) for a in sync.attempts] == [
            (a.provider, a.phones, a.status) for a in async_.attempts
        ]


def test_query_send_details_over_http(aliyun_server: AliyunFake) -> None:
    provider = AliyunProvider(aliyun_server.settings())
    with Gateway([provider]) as gateway:
        result = gateway.send(Message(["13800138000", "13900139000"], template="SMS_1", out_id="o-9"))
        aliyun_server.set_receipt("13900139000", 2, "MK:0001")
        today = aliyun_server.delivered[0].sent_at
        from datetime import datetime, timezone

        day = datetime.fromtimestamp(today, timezone.utc)
        records = []
        for phone, row in zip(["13800138000", "13900139000"], result.recipients, strict=True):
            request = provider.query_request(phone, day, biz_id=row.message_id)
            records += provider.parse_details(request, gateway.transport.handle_request(request))
    assert [(r.phone, r.status, r.err_code, r.out_id) for r in records] == [
        ("13800138000", DeliveryStatus.DELIVERED, "DELIVERED", "o-9"),
        ("13900139000", DeliveryStatus.FAILED, "MK:0001", "o-9"),
    ]
    assert records[0].biz_id == result.recipients[0].message_id


text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(st.sampled_from(["code", "名字", "a b"]), text, max_size=3), sign=text)
def test_unicode_round_trips_through_the_fake(aliyun_server: AliyunFake, params: dict[str, str], sign: str) -> None:
    provider = AliyunProvider(aliyun_server.settings())
    with Gateway([provider], retry=NO_RETRY) as gateway:
        result = gateway.send(Message("13800138000", template="SMS_1", params=params, sign_name=sign))
    assert result.ok, result.errors
    last = aliyun_server.delivered[-1]
    assert (last.params, last.sign_name) == (params, sign)


DOC = Path(__file__).resolve().parents[2] / "docs" / "providers" / "aliyun.md"


def doc_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_doc_python_examples(aliyun_server: AliyunFake, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    assert aliyun_server.server is not None
    monkeypatch.setenv("ALIYUN_ACCESS_KEY_ID", "testAK")
    monkeypatch.setenv("ALIYUN_ACCESS_KEY_SECRET", "testSecret")
    monkeypatch.setenv("ALIYUN_SMS_ENDPOINT", aliyun_server.server.endpoint)
    exec(compile("\n".join(doc_blocks("python")), str(DOC), "exec"), {"__name__": "docs_example"})
    assert [(d.phone, d.action, d.params) for d in aliyun_server.delivered] == [
        ("13800138000", "SendSms", {"code": "0471"}),
        ("85291234567", "SendSms", {"code": "0471"}),
        ("13800138000", "SendBatchSms", {"code": "1111"}),
        ("13900139000", "SendBatchSms", {"code": "2222"}),
    ]
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("+8613800138000 accepted ") and out[2] == "True"
    assert out[3].startswith("13800138000 delivered DELIVERED ") and out[3].endswith(" order-7")
    assert len(out) == 5  # two receipts for 13800138000: the SendSms and the SendBatchSms


def test_doc_config_example(aliyun_server: AliyunFake, tmp_path: Path) -> None:
    from smsgate._config import load_config

    assert aliyun_server.server is not None
    path = tmp_path / "smsgate.toml"
    path.write_text(doc_blocks("toml")[0], encoding="utf-8")
    env = {
        "ALIYUN_ACCESS_KEY_ID": "testAK",
        "ALIYUN_ACCESS_KEY_SECRET": "testSecret",
        "SMSGATE_PROVIDERS__ALIYUN__ENDPOINT": aliyun_server.server.endpoint,
    }
    with load_config(path, environ=env).gateway() as gateway:
        assert gateway.send(Message("13800138000", template="SMS_1")).ok
    assert aliyun_server.delivered[0].sign_name == "阿里云短信测试"
