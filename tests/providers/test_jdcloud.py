"""JD Cloud SMS over real HTTP against its emulator, through both gateways."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Category, Message, Status
from smsgate.emulators.jdcloud import expected_signature
from smsgate.emulators.server import Received
from smsgate.providers._hmac_chain import sigv4_like_authorization
from smsgate.providers.jdcloud import JdCloudProvider, jdcloud_authorization
from tests.fakes.gateways import Driver
from tests.fakes.jdcloud import SECRET_KEY, JdCloudEmulator
from tests.fakes.yunpian import YunpianEmulator
from tests.waits import await_until

CN = ["13800138001", "13800138002"]
BODY = (
    b'{"regionId": "cn-north-1", "templateId": "tpl-1", "signId": "sign-1", "phoneList": ["13800000000"], '
    b'"params": ["1234"]}'
)
HEADERS = {"Content-Type": "application/json", "Host": "sms.jdcloud-api.com"}
SIGNATURE = "9e5fe29b98d646e3feac11ab9987d77740ba5a7f0eee3248d173de7e58d14962"


def provider(emulator: JdCloudEmulator, **overrides: Any) -> JdCloudProvider:
    return JdCloudProvider(emulator.settings(**{"param_order": ["c"], **overrides}))


def test_the_sdk_unit_test_vector() -> None:
    headers = {"x-jdcloud-date": "20190917T064708Z", "x-jdcloud-nonce": "X-Jdcloud-Nonce",
               "content-type": "application/json",
               "host": "apigw-internal-dev.cn-north-1.jcloudcs.com:8000"}  # fmt: skip
    authorization = sigv4_like_authorization(
        "ak", "sk", algorithm="JDCLOUD3-HMAC-SHA256", key_prefix="JDCLOUD3", terminator="jdcloud3_request",
        service="apigatewaytestproductline", method="GET", path="/", query={}, headers=headers, body=b"",
        x_date="20190917T064708Z", region="cn-north-1",
    )  # fmt: skip
    assert authorization == (
        "JDCLOUD3-HMAC-SHA256 Credential=ak/20190917/cn-north-1/apigatewaytestproductline/jdcloud3_request, "
        "SignedHeaders=content-type;host;x-jdcloud-date;x-jdcloud-nonce, "
        "Signature=44c5ec30b6185516986ae171d8276552bc0f37f6a536a44e4f578958fc1c12be"
    )


def test_the_send_vector_signs_and_verifies() -> None:
    authorization = jdcloud_authorization(
        "testAK", "testSK", method="POST", path="/v1/regions/cn-north-1/batchSend", query={}, headers=HEADERS,
        body=BODY, x_date="20240101T000000Z", region="cn-north-1",
    )  # fmt: skip
    assert authorization == (
        "JDCLOUD3-HMAC-SHA256 Credential=testAK/20240101/cn-north-1/sms/jdcloud3_request, "
        f"SignedHeaders=content-type;host, Signature={SIGNATURE}"
    )
    sent = {**HEADERS, "x-jdcloud-date": "20240101T000000Z"}
    received = Received("POST", "/v1/regions/cn-north-1/batchSend", [], sent, BODY)
    assert expected_signature("testSK", received, ["content-type", "host"], "cn-north-1") == SIGNATURE


async def test_one_request_for_equal_params(jdcloud_emulator: JdCloudEmulator, gateway: Driver) -> None:
    result = await gateway.send([provider(jdcloud_emulator)], Message(to=CN, template="tpl-1", params={"c": "4711"}))
    assert result.ok and jdcloud_emulator.server is not None and len(jdcloud_emulator.server.requests) == 1
    body = json.loads(jdcloud_emulator.server.requests[0].body)
    assert (body["phoneList"], body["params"], body["signId"]) == (CN, ["4711"], "sign-1")
    (sequence,) = {d["sequence"] for d in jdcloud_emulator.delivered}
    assert {r.message_id for r in result.recipients} == {sequence}


async def test_positional_and_per_recipient_params(jdcloud_emulator: JdCloudEmulator, gateway: Driver) -> None:
    message = Message(to=CN, template="T", params={"c": "1", "m": "5"}, recipient_params={CN[1]: {"c": "2"}})
    result = await gateway.send([provider(jdcloud_emulator, param_order=["c", "m"])], message)
    assert result.ok and sorted(d["params"] for d in jdcloud_emulator.delivered) == [["1", "5"], ["2", "5"]]


async def test_splits_at_100_numbers(jdcloud_emulator: JdCloudEmulator, gateway: Driver) -> None:
    phones = [f"1380013{n:04d}" for n in range(101)]
    result = await gateway.send([provider(jdcloud_emulator)], Message(to=phones, template="T", params={"c": "1"}))
    assert result.ok and len(jdcloud_emulator.delivered) == 101
    assert jdcloud_emulator.server is not None and len(jdcloud_emulator.server.requests) == 2


async def test_a_refusal_with_an_undocumented_code_is_unknown(
    jdcloud_emulator: JdCloudEmulator, gateway: Driver
) -> None:
    jdcloud_emulator.fail_phone(CN[1])
    result = await gateway.send([provider(jdcloud_emulator)], Message(to=CN, template="T", params={"c": "1"}))
    assert {r.status for r in result.recipients} == {Status.UNKNOWN} and len(result.attempts) == 1
    assert result.attempts[0].error is not None and result.attempts[0].error.provider_code == "10010"


async def test_throttling_is_undocumented_so_unknown_and_not_resent(
    jdcloud_emulator: JdCloudEmulator, yunpian_emulator: YunpianEmulator, gateway: Driver
) -> None:
    jdcloud_emulator.throttle()
    providers = {"jdcloud": jdcloud_emulator.settings(param_order=["c"]), "yunpian": yunpian_emulator.settings()}
    result = await gateway.send(providers, Message(to=CN[0], template="T", text="hi", params={"c": "1"}))
    assert result.recipients[0].status is Status.UNKNOWN and len(result.attempts) == 1
    assert yunpian_emulator.delivered == []


async def test_a_wrong_key_fails_over_and_stays_secret(
    jdcloud_emulator: JdCloudEmulator, yunpian_emulator: YunpianEmulator, gateway: Driver,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    bad = "s3cret-wrong-jdcloud-secret-key"
    providers = {"jdcloud": jdcloud_emulator.settings(secret_access_key=bad, param_order=["c"]),
                 "yunpian": yunpian_emulator.settings()}  # fmt: skip
    result = await gateway.send(providers, Message(to=CN[0], template="T", text="hi", params={"c": "1"}))
    assert result.ok and result.recipients[0].provider == "yunpian" and jdcloud_emulator.delivered == []
    error = result.attempts[0].error
    assert error is not None and error.category is Category.AUTH and error.provider_code == "UNAUTHENTICATED"
    for text in [caplog.text, str(error), repr(error), str(error.to_dict()), repr(result)]:
        assert bad not in text and SECRET_KEY not in text


async def test_a_5xx_or_timeout_after_delivery_is_unknown(jdcloud_emulator: JdCloudEmulator, gateway: Driver) -> None:
    assert jdcloud_emulator.server is not None
    message = Message(to=CN[0], template="T", params={"c": "1"})
    jdcloud_emulator.server.fail_next(status=503, text="unavailable", after=True)
    assert (await gateway.send([provider(jdcloud_emulator)], message)).recipients[0].status is Status.UNKNOWN
    jdcloud_emulator.server.fail_next(delay=30.0, after=True)  # cut short when the client hangs up
    result = await gateway.send([provider(jdcloud_emulator, timeout=0.3)], message)
    assert result.recipients[0].status is Status.UNKNOWN
    await await_until(lambda: len(jdcloud_emulator.delivered) >= 2, what="both requests to arrive")
    assert len(jdcloud_emulator.delivered) == 2 and len(jdcloud_emulator.server.requests) == 2


async def test_unicode_params_arrive_byte_exact(jdcloud_emulator: JdCloudEmulator, gateway: Driver) -> None:
    message = Message(to=CN[0], template="T", params={"c": "张三 🎉"})
    result = await gateway.send([provider(jdcloud_emulator)], message)
    assert result.ok and jdcloud_emulator.delivered[0]["params"] == ["张三 🎉"]


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=60), st.integers(0, 2**31))
def test_any_param_is_signed_and_verifies(value: str, when: int) -> None:
    p = JdCloudProvider(access_key_id="k", secret_access_key="s", param_order=["c"], clock=lambda: float(when))
    message = Message(to=CN[0], template="T", params={"c": value}).normalised()
    request = p.build_request(message, message.phones)
    assert json.loads(request.body)["params"] == [value]
    received = Received("POST", "/v1/regions/cn-north-1/batchSend", [], request.headers, request.body)
    signed = ["content-type", "host", "x-jdcloud-content-sha256", "x-jdcloud-date", "x-jdcloud-nonce"]
    assert request.headers["Authorization"].endswith(expected_signature("s", received, signed, "cn-north-1"))
