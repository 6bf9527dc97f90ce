"""Ctyun SMS over real HTTP against its emulator, through both gateways."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Category, Message, Status
from smsgate.emulators.ctyun import expected_signature
from smsgate.emulators.server import Received
from smsgate.providers.ctyun import CtyunProvider, eop_authorization
from tests.fakes.ctyun import SECRET_KEY, CtyunEmulator
from tests.fakes.gateways import Driver
from tests.fakes.yunpian import YunpianEmulator
from tests.waits import await_until

CN = ["13800138001", "13800138002"]
BODY = (
    b'{"action": "SendSms", "phoneNumber": "13800000000", "signName": "\\u5929\\u7ffc\\u4e91", '
    b'"templateCode": "SMS64124870510", "templateParam": "{\\"code\\":\\"123456\\"}"}'
)
REQUEST_ID = "b2f5ff47-0000-1000-8000-000000000001"
SIGNATURE = "yRTnPrYqtQVp45LOaXtpRSbjW4JmSEMjJ65aAohvp+8="


def provider(emulator: CtyunEmulator, **overrides: Any) -> CtyunProvider:
    return CtyunProvider(emulator.settings(**overrides))


def test_the_sdk_vector_signs_and_verifies() -> None:
    assert eop_authorization("testAK", "testSK", REQUEST_ID, "20240101T080000Z", BODY) == (
        f"testAK Headers=ctyun-eop-request-id;eop-date Signature={SIGNATURE}"
    )
    received = Received("POST", "/sms/api/v1", [], {}, BODY)
    assert expected_signature("testSK", "testAK", REQUEST_ID, "20240101T080000Z", received) == SIGNATURE


async def test_one_request_per_number(ctyun_emulator: CtyunEmulator, gateway: Driver) -> None:
    result = await gateway.send([provider(ctyun_emulator)], Message(to=CN, template="SMS1", params={"code": "4711"}))
    assert result.ok and ctyun_emulator.server is not None and len(ctyun_emulator.server.requests) == 2
    body = json.loads(ctyun_emulator.server.requests[0].body)
    assert body["signName"] == "天翼云" and json.loads(body["templateParam"]) == {"code": "4711"}
    assert {r.message_id for r in result.recipients} == {d["id"] for d in ctyun_emulator.delivered}


async def test_the_date_is_beijing_time_labelled_z(ctyun_emulator: CtyunEmulator, gateway: Driver) -> None:
    p = CtyunProvider(ctyun_emulator.settings(), clock=lambda: 1704067200.0)  # 2024-01-01 00:00 UTC
    message = Message(to=CN[0], template="SMS1", params={"c": "1"}).normalised()
    assert p.build_request(message, message.phones).headers["Eop-date"] == "20240101T080000Z"


async def test_throttling_is_undocumented_so_unknown_and_not_resent(
    ctyun_emulator: CtyunEmulator, yunpian_emulator: YunpianEmulator, gateway: Driver
) -> None:
    ctyun_emulator.throttle()
    providers = {"ctyun": ctyun_emulator.settings(), "yunpian": yunpian_emulator.settings()}
    result = await gateway.send(providers, Message(to=CN[0], template="T", text="hi", params={"c": "1"}))
    assert result.recipients[0].status is Status.UNKNOWN and len(result.attempts) == 1
    assert yunpian_emulator.delivered == []


async def test_an_undocumented_refusal_is_unknown_and_not_failed_over(
    ctyun_emulator: CtyunEmulator, yunpian_emulator: YunpianEmulator, gateway: Driver
) -> None:
    ctyun_emulator.fail_phone(CN[1])
    providers = {"ctyun": ctyun_emulator.settings(), "yunpian": yunpian_emulator.settings()}
    result = await gateway.send(providers, Message(to=CN[1], template="T", text="hi", params={"c": "1"}))
    error = result.recipients[0].error
    assert result.recipients[0].status is Status.UNKNOWN and error is not None and error.provider_code == "FAIL"
    assert yunpian_emulator.delivered == [] and ctyun_emulator.delivered == []


async def test_a_wrong_key_fails_over_and_stays_secret(
    ctyun_emulator: CtyunEmulator, yunpian_emulator: YunpianEmulator, gateway: Driver,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    bad = "s3cret-wrong-ctyun-secret-key"
    providers = {"ctyun": ctyun_emulator.settings(secret_key=bad), "yunpian": yunpian_emulator.settings()}
    result = await gateway.send(providers, Message(to=CN[0], template="T", text="hi", params={"c": "1"}))
    assert result.ok and result.recipients[0].provider == "yunpian" and ctyun_emulator.delivered == []
    error = result.attempts[0].error
    assert error is not None and error.category is Category.AUTH and error.provider_code == "UNAUTHORIZED"
    for text in [caplog.text, str(error), repr(error), str(error.to_dict()), repr(result)]:
        assert bad not in text and SECRET_KEY not in text


async def test_a_5xx_or_timeout_after_delivery_is_unknown(ctyun_emulator: CtyunEmulator, gateway: Driver) -> None:
    assert ctyun_emulator.server is not None
    message = Message(to=CN[0], template="T", params={"c": "1"})
    ctyun_emulator.server.fail_next(status=503, text="unavailable", after=True)
    assert (await gateway.send([provider(ctyun_emulator)], message)).recipients[0].status is Status.UNKNOWN
    ctyun_emulator.server.fail_next(delay=30.0, after=True)  # cut short when the client hangs up
    result = await gateway.send([provider(ctyun_emulator, timeout=0.3)], message)
    assert result.recipients[0].status is Status.UNKNOWN
    await await_until(lambda: len(ctyun_emulator.delivered) >= 2, what="both requests to arrive")
    assert len(ctyun_emulator.delivered) == 2 and len(ctyun_emulator.server.requests) == 2


async def test_unicode_params_arrive_byte_exact(ctyun_emulator: CtyunEmulator, gateway: Driver) -> None:
    params = {"name": "张三 🎉", "code": "0042"}
    result = await gateway.send([provider(ctyun_emulator)], Message(to=CN[0], template="T", params=params))
    assert result.ok and ctyun_emulator.delivered[0]["params"] == params


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=60), st.integers(0, 2**31))
def test_any_param_is_signed_and_verifies(value: str, when: int) -> None:
    p = CtyunProvider(access_key="k", secret_key="s", clock=lambda: float(when))
    message = Message(to=CN[0], template="T", params={"c": value}).normalised()
    request = p.build_request(message, message.phones)
    assert json.loads(json.loads(request.body)["templateParam"]) == {"c": value}
    h = request.headers
    received = Received("POST", "/sms/api/v1", [], h, request.body)
    signature = expected_signature("s", "k", h["ctyun-eop-request-id"], h["Eop-date"], received)
    assert h["Eop-Authorization"].endswith(f"Signature={signature}")
