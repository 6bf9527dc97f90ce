"""Volcengine SMS over real HTTP against its emulator, through both gateways."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Category, Message, Status
from smsgate.emulators.server import Received
from smsgate.emulators.volcengine import expected_signature
from smsgate.providers.volcengine import VolcengineProvider, volcengine_authorization
from tests.fakes.gateways import Driver
from tests.fakes.volcengine import SECRET_KEY, VolcengineEmulator
from tests.fakes.yunpian import YunpianEmulator
from tests.waits import await_until

CN = ["13800138001", "13800138002"]
BODY = (
    b'{"SmsAccount": "7a2b****", "Sign": "\\u6d4b\\u8bd5\\u7b7e\\u540d", "TemplateID": "ST_7a2b****", '
    b'"TemplateParam": "{\\"code\\": \\"1234\\"}", "PhoneNumbers": "13800000000", "Tag": "tag1"}'
)
DIGEST = "fd8d339b218de68c24be10b26892fd641f8a7d4b1ae6f9a3b6b5ff2547e91909"
HEADERS = {"Content-Type": "application/json", "Host": "sms.volcengineapi.com", "X-Content-Sha256": DIGEST,
           "X-Date": "20240101T000000Z"}  # fmt: skip
SIGNATURE = "fc42dd84d78214ed762fc3b4e337fe077588add57268ef208b9af107c68fe8bf"


def provider(emulator: VolcengineEmulator, **overrides: Any) -> VolcengineProvider:
    return VolcengineProvider(emulator.settings(**overrides))


def test_the_sdk_vector_signs_and_verifies() -> None:
    assert hashlib.sha256(BODY).hexdigest() == DIGEST
    query = {"Action": "SendSms", "Version": "2020-01-01"}
    authorization = volcengine_authorization(
        "AKLTtestAK", "testSK", method="POST", path="/", query=query, headers=HEADERS, body=BODY,
        x_date="20240101T000000Z", region="cn-north-1",
    )  # fmt: skip
    assert authorization == (
        "HMAC-SHA256 Credential=AKLTtestAK/20240101/cn-north-1/volcSMS/request, "
        f"SignedHeaders=content-type;host;x-content-sha256;x-date, Signature={SIGNATURE}"
    )
    received = Received("POST", "/", list(query.items()), HEADERS, BODY)
    signed = ["content-type", "host", "x-content-sha256", "x-date"]
    assert expected_signature("testSK", received, signed, "cn-north-1") == SIGNATURE


async def test_one_request_with_ids_in_input_order(volcengine_emulator: VolcengineEmulator, gateway: Driver) -> None:
    message = Message(to=[*CN, "+85251234567"], template="ST_1", params={"code": "4711"}, out_id="u1")
    result = await gateway.send([provider(volcengine_emulator)], message)
    assert result.ok and volcengine_emulator.server is not None and len(volcengine_emulator.server.requests) == 1
    body = json.loads(volcengine_emulator.server.requests[0].body)
    assert body["PhoneNumbers"] == f"{CN[0]},{CN[1]},+85251234567" and body["Tag"] == "u1"
    assert json.loads(body["TemplateParam"]) == {"code": "4711"} and body["Sign"] == "测试签名"
    ids = {d["phone"]: d["id"] for d in volcengine_emulator.delivered}
    assert {r.phone.e164: r.message_id for r in result.recipients} == ids and len(ids) == 3


async def test_splits_at_200_numbers(volcengine_emulator: VolcengineEmulator, gateway: Driver) -> None:
    phones = [f"1380013{n:04d}" for n in range(201)]
    result = await gateway.send([provider(volcengine_emulator)], Message(to=phones, template="T", params={"c": "1"}))
    assert result.ok and len(volcengine_emulator.delivered) == 201
    assert volcengine_emulator.server is not None and len(volcengine_emulator.server.requests) == 2


async def test_a_refused_single_number(volcengine_emulator: VolcengineEmulator, gateway: Driver) -> None:
    volcengine_emulator.fail_phone(CN[1])
    result = await gateway.send([provider(volcengine_emulator)], Message(to=CN[1], template="T", params={"c": "1"}))
    error = result.recipients[0].error
    assert error is not None and error.category is Category.RECIPIENT and error.provider_code == "RE:0006"
    assert volcengine_emulator.delivered == []


async def test_throttling_is_undocumented_so_unknown_and_not_resent(
    volcengine_emulator: VolcengineEmulator, yunpian_emulator: YunpianEmulator, gateway: Driver
) -> None:
    volcengine_emulator.throttle()
    providers = {"volcengine": volcengine_emulator.settings(), "yunpian": yunpian_emulator.settings()}
    result = await gateway.send(providers, Message(to=CN[0], template="T", text="hi", params={"c": "1"}))
    assert result.recipients[0].status is Status.UNKNOWN and len(result.attempts) == 1
    assert yunpian_emulator.delivered == []


async def test_a_wrong_key_fails_over_and_stays_secret(
    volcengine_emulator: VolcengineEmulator, yunpian_emulator: YunpianEmulator, gateway: Driver,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    bad = "s3cret-wrong-volcengine-secret-key"
    providers = {"volcengine": volcengine_emulator.settings(secret_access_key=bad),
                 "yunpian": yunpian_emulator.settings()}  # fmt: skip
    result = await gateway.send(providers, Message(to=CN[0], template="T", text="hi", params={"c": "1"}))
    assert result.ok and result.recipients[0].provider == "yunpian" and volcengine_emulator.delivered == []
    error = result.attempts[0].error
    assert error is not None and error.category is Category.AUTH and error.provider_code == "SignatureDoesNotMatch"
    for text in [caplog.text, str(error), repr(error), str(error.to_dict()), repr(result)]:
        assert bad not in text and SECRET_KEY not in text


async def test_a_5xx_or_timeout_after_delivery_is_unknown(
    volcengine_emulator: VolcengineEmulator, gateway: Driver
) -> None:
    assert volcengine_emulator.server is not None
    message = Message(to=CN[0], template="T", params={"c": "1"})
    volcengine_emulator.server.fail_next(status=503, text="unavailable", after=True)
    assert (await gateway.send([provider(volcengine_emulator)], message)).recipients[0].status is Status.UNKNOWN
    volcengine_emulator.server.fail_next(delay=30.0, after=True)  # cut short when the client hangs up
    result = await gateway.send([provider(volcengine_emulator, timeout=0.3)], message)
    assert result.recipients[0].status is Status.UNKNOWN
    await await_until(lambda: len(volcengine_emulator.delivered) >= 2, what="both requests to arrive")
    assert len(volcengine_emulator.delivered) == 2 and len(volcengine_emulator.server.requests) == 2


async def test_unicode_params_arrive_byte_exact(volcengine_emulator: VolcengineEmulator, gateway: Driver) -> None:
    params = {"name": "张三 🎉", "code": "0042"}
    result = await gateway.send([provider(volcengine_emulator)], Message(to=CN[0], template="T", params=params))
    assert result.ok and volcengine_emulator.delivered[0]["params"] == params


async def test_per_recipient_params_go_in_one_send_batch_sms(
    volcengine_emulator: VolcengineEmulator, gateway: Driver
) -> None:
    own = {CN[0]: {"name": "张三 🎉"}, "+85251234567": {"name": 'Zoë "q" \\ \u2028'}}
    per_phone = {("+86" + k if k[0] != "+" else k): v for k, v in own.items()}
    message = Message(to=[*CN, "+85251234567"], template="ST_1", params={"code": "0042", "name": "—"},
                      recipient_params=per_phone, out_id="u1")  # fmt: skip
    result = await gateway.send([provider(volcengine_emulator)], message)
    assert result.ok and volcengine_emulator.server is not None
    (request,) = volcengine_emulator.server.requests
    assert dict(request.query) == {"Action": "SendBatchSms", "Version": "2021-01-01"}
    body = json.loads(request.body)
    assert "TemplateParam" not in body and "PhoneNumbers" not in body and body["Tag"] == "u1"
    assert [m["PhoneNumber"] for m in body["Messages"]] == [*CN, "+85251234567"]
    expected = [{"code": "0042", "name": own.get(p, {}).get("name", "—")} for p in [*CN, "+85251234567"]]
    assert [json.loads(m["TemplateParam"]) for m in body["Messages"]] == expected
    assert [d["params"] for d in volcengine_emulator.delivered] == expected  # byte-exact through the wire
    ids = {d["phone"]: d["id"] for d in volcengine_emulator.delivered}
    assert {r.phone.e164: r.message_id for r in result.recipients} == ids and len(ids) == 3


async def test_send_batch_sms_splits_at_200_numbers(volcengine_emulator: VolcengineEmulator, gateway: Driver) -> None:
    phones = [f"1380013{n:04d}" for n in range(401)]
    own = {f"+86{p}": {"n": str(i)} for i, p in enumerate(phones)}
    message = Message(to=phones, template="T", params={"c": "1"}, recipient_params=own)
    result = await gateway.send([provider(volcengine_emulator)], message)
    assert result.ok and volcengine_emulator.server is not None
    sizes = [len(json.loads(r.body)["Messages"]) for r in volcengine_emulator.server.requests]
    assert sorted(sizes) == [1, 200, 200]  # the batches may be sent concurrently
    assert {d["mobile"]: d["params"] for d in volcengine_emulator.delivered} == {
        p: {"c": "1", "n": str(i)} for i, p in enumerate(phones)
    }


@given(st.lists(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=20), min_size=1, max_size=3))
def test_any_per_recipient_params_are_signed_and_verify(values: list[str]) -> None:
    p = VolcengineProvider(access_key_id="k", secret_access_key="s", sms_account="a")
    phones = [f"+8613800138{n:03d}" for n in range(len(values))]
    own = {phone: {"v": value} for phone, value in zip(phones, values, strict=True)}
    message = Message(to=phones, template="T", recipient_params=own).normalised()
    request = p.build_request(message, message.phones)
    messages = json.loads(request.body)["Messages"]
    assert [json.loads(m["TemplateParam"]) for m in messages] == [{"v": v} for v in values]
    received = Received("POST", "/", [("Action", "SendBatchSms"), ("Version", "2021-01-01")], request.headers,
                        request.body)  # fmt: skip
    signed = ["content-type", "host", "x-content-sha256", "x-date"]
    assert request.headers["Authorization"].endswith(expected_signature("s", received, signed, "cn-north-1"))


@pytest.mark.parametrize(
    ("code", "category"),
    [("RE:0000", Category.AUTH), ("RE:0010", Category.QUOTA), ("RE:0004", Category.TEMPLATE),
     ("RE:0009", Category.INVALID), ("RE:0006", Category.RECIPIENT), ("RE:0013", Category.THROTTLED),
     ("RE:0500", Category.UNKNOWN), ("FlowLimitExceeded", Category.UNKNOWN), ("ZJ20001", Category.UNKNOWN)],
)  # fmt: skip
def test_codes_are_classified(code: str, category: Category) -> None:
    p = VolcengineProvider(access_key_id="k", secret_access_key="s", sms_account="a")
    assert p.refusal(code, "m", {}).category is category
    assert p.refusal("RE:0013", "m", {}).retryable is False


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=60), st.integers(0, 2**31))
def test_any_param_is_signed_and_verifies(value: str, when: int) -> None:
    p = VolcengineProvider(access_key_id="k", secret_access_key="s", sms_account="a", clock=lambda: float(when))
    message = Message(to=CN[0], template="T", params={"c": value}).normalised()
    request = p.build_request(message, message.phones)
    assert json.loads(json.loads(request.body)["TemplateParam"]) == {"c": value}
    received = Received("POST", "/", [("Action", "SendSms"), ("Version", "2020-01-01")], request.headers, request.body)
    signed = ["content-type", "host", "x-content-sha256", "x-date"]
    assert request.headers["Authorization"].endswith(expected_signature("s", received, signed, "cn-north-1"))
