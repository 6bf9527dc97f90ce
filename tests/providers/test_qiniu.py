"""Qiniu SMS over real HTTP against its emulator, through both gateways."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Category, Message, SmsError, Status
from smsgate._http import HttpResponse
from smsgate.emulators.qiniu import expected_token
from smsgate.emulators.server import Received
from smsgate.providers.qiniu import QiniuProvider, qiniu_authorization
from tests.fakes.gateways import Driver
from tests.fakes.qiniu import SECRET_KEY, QiniuEmulator
from tests.fakes.yunpian import YunpianEmulator
from tests.waits import await_until

CN = ["13800138001", "13800138002"]
BODY = b'{"template_id": "tpl-1", "mobiles": ["13800000000"], "parameters": {"code": "1234"}}'


def provider(emulator: QiniuEmulator, **overrides: Any) -> QiniuProvider:
    return QiniuProvider(emulator.settings(**overrides))


@pytest.mark.parametrize(
    ("headers", "token"),
    [({"Content-Type": "application/json", "X-Qiniu-Date": "20240101T000000Z"}, "OKFgoVjDI_kiOYVc7qgDWOVbRxY="),
     ({"Content-Type": "application/json"}, "mZHDTl70jJRqDKCXfcbnQdUnp9o=")],
)  # fmt: skip
def test_the_sdk_vectors_sign_and_verify(headers: dict[str, str], token: str) -> None:
    host = "sms.qiniuapi.com"
    signed = qiniu_authorization("testAK", "testSK", "POST", "/v1/message", host, headers, BODY)
    assert signed == f"Qiniu testAK:{token}"
    assert expected_token("testSK", Received("POST", "/v1/message", [], {**headers, "Host": host}, BODY)) == token


async def test_mainland_numbers_share_a_job_abroad_go_alone(qiniu_emulator: QiniuEmulator, gateway: Driver) -> None:
    message = Message(to=[*CN, "+85251234567"], template="tpl-1", params={"code": "4711"}, out_id="u1")
    result = await gateway.send([provider(qiniu_emulator)], message)
    assert result.ok and qiniu_emulator.server is not None
    bodies = sorted((r.path, json.loads(r.body)) for r in qiniu_emulator.server.requests)
    assert [path for path, _ in bodies] == ["/v1/message", "/v1/message/oversea"]
    assert bodies[0][1]["mobiles"] == CN and bodies[1][1]["mobile"] == "+85251234567"
    assert bodies[0][1]["signature_id"] == "sig-1" and bodies[0][1]["seq"] == "u1"
    ids = {r.phone.e164: r.message_id for r in result.recipients}
    assert ids["+86" + CN[0]] == ids["+86" + CN[1]] != ids["+85251234567"]


async def test_splits_at_100_numbers(qiniu_emulator: QiniuEmulator, gateway: Driver) -> None:
    phones = [f"1380013{n:04d}" for n in range(101)]
    result = await gateway.send([provider(qiniu_emulator)], Message(to=phones, template="T", params={"c": "1"}))
    assert result.ok and len(qiniu_emulator.delivered) == 101
    assert qiniu_emulator.server is not None and len(qiniu_emulator.server.requests) == 2


async def test_throttling_is_undocumented_so_unknown_and_not_resent(
    qiniu_emulator: QiniuEmulator, yunpian_emulator: YunpianEmulator, gateway: Driver
) -> None:
    qiniu_emulator.throttle()
    providers = {"qiniu": qiniu_emulator.settings(), "yunpian": yunpian_emulator.settings()}
    result = await gateway.send(providers, Message(to=CN[0], template="T", text="hi", params={"c": "1"}))
    assert result.recipients[0].status is Status.UNKNOWN and len(result.attempts) == 1
    assert yunpian_emulator.delivered == []


async def test_a_wrong_key_fails_over_and_stays_secret(
    qiniu_emulator: QiniuEmulator, yunpian_emulator: YunpianEmulator, gateway: Driver,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    bad = "s3cret-wrong-qiniu-secret-key"
    providers = {"qiniu": qiniu_emulator.settings(secret_key=bad), "yunpian": yunpian_emulator.settings()}
    result = await gateway.send(providers, Message(to=CN[0], template="T", text="hi", params={"c": "1"}))
    assert result.ok and result.recipients[0].provider == "yunpian" and qiniu_emulator.delivered == []
    error = result.attempts[0].error
    assert error is not None and error.category is Category.AUTH and error.provider_code == "BadToken"
    for text in [caplog.text, str(error), repr(error), str(error.to_dict()), repr(result)]:
        assert bad not in text and SECRET_KEY not in text


async def test_a_5xx_or_timeout_after_delivery_is_unknown(qiniu_emulator: QiniuEmulator, gateway: Driver) -> None:
    assert qiniu_emulator.server is not None
    message = Message(to=CN[0], template="T", params={"c": "1"})
    qiniu_emulator.server.fail_next(status=503, text="unavailable", after=True)
    assert (await gateway.send([provider(qiniu_emulator)], message)).recipients[0].status is Status.UNKNOWN
    qiniu_emulator.server.fail_next(delay=30.0, after=True)  # cut short when the client hangs up
    result = await gateway.send([provider(qiniu_emulator, timeout=0.3)], message)
    assert result.recipients[0].status is Status.UNKNOWN
    await await_until(lambda: len(qiniu_emulator.delivered) >= 2, what="both requests to arrive")
    assert len(qiniu_emulator.delivered) == 2 and len(qiniu_emulator.server.requests) == 2


async def test_unicode_params_arrive_byte_exact(qiniu_emulator: QiniuEmulator, gateway: Driver) -> None:
    params = {"name": "Zoë 🎉", "code": "0042"}
    result = await gateway.send([provider(qiniu_emulator)], Message(to=CN[0], template="T", params=params))
    assert result.ok and qiniu_emulator.delivered[0]["params"] == params


@pytest.mark.parametrize(
    ("code", "status", "category"),
    [("BadToken", 401, Category.AUTH), ("AccountBalanceNotEnough", 403, Category.QUOTA),
     ("NotFoundError", 404, Category.INVALID), ("ServerInternalError", 500, Category.UNKNOWN)],
)  # fmt: skip
def test_codes_are_classified(code: str, status: int, category: Category) -> None:
    p = QiniuProvider(access_key="k", secret_key="s")
    message = Message(to=CN[0], template="T").normalised()
    request = p.build_request(message, message.phones)
    body = json.dumps({"error": code, "message": "m"}).encode()
    with pytest.raises(SmsError) as info:
        p.parse(request, HttpResponse(status, {"content-type": "application/json"}, body))
    assert info.value.category is category


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=60), st.integers(0, 2**31))
def test_any_param_is_signed_and_verifies(value: str, when: int) -> None:
    p = QiniuProvider(access_key="k", secret_key="s", clock=lambda: float(when))
    message = Message(to=CN[0], template="T", params={"c": value}).normalised()
    request = p.build_request(message, message.phones)
    assert json.loads(request.body)["parameters"] == {"c": value}
    headers = {**request.headers, "Host": "sms.qiniuapi.com"}
    token = expected_token("s", Received("POST", "/v1/message", [], headers, request.body))
    assert request.headers["Authorization"] == f"Qiniu k:{token}"
