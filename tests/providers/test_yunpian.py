"""Yunpian over real HTTP against its emulator, through both gateways."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Category, HttpResponse, Message, Status
from smsgate.providers.yunpian import YunpianProvider
from tests.fakes.chuanglan import ChuanglanEmulator
from tests.fakes.gateways import Driver
from tests.fakes.yunpian import APIKEY, YunpianEmulator
from tests.waits import await_until

CN = ["13800138001", "13800138002"]


def provider(emulator: YunpianEmulator, **overrides: Any) -> YunpianProvider:
    return YunpianProvider(emulator.settings(**overrides))


async def test_one_request_per_number_with_the_signature_first(
    yunpian_emulator: YunpianEmulator, gateway: Driver
) -> None:
    message = Message(to=[*CN, "+14155550101"], text="您的验证码是${code}", params={"code": "4711"}, out_id="u1")
    result = await gateway.send([provider(yunpian_emulator, callback_url="https://example.com/yp")], message)
    assert result.ok and len(yunpian_emulator.delivered) == 3
    sent = {d["mobile"]: d for d in yunpian_emulator.delivered}
    assert set(sent) == {CN[0], CN[1], "+14155550101"} and {d["text"] for d in sent.values()} == {
        "【Acme】您的验证码是4711"
    }
    assert {d["uid"] for d in sent.values()} == {"u1"} and {d["callback_url"] for d in sent.values()} == {
        "https://example.com/yp"
    }
    assert result["+8613800138001"].message_id == str(sent[CN[0]]["sid"])


@pytest.mark.parametrize(("fault", "category", "retryable"),
                         [("fail", Category.RECIPIENT, False), ("limit", Category.THROTTLED, False)])  # fmt: skip
async def test_refusals_per_number(
    yunpian_emulator: YunpianEmulator, gateway: Driver, fault: str, category: Category, retryable: bool
) -> None:
    (yunpian_emulator.fail_phone if fault == "fail" else yunpian_emulator.limit_phone)(CN[1])
    result = await gateway.send([provider(yunpian_emulator)], Message(to=CN, text="hi"))
    assert [r.status for r in result.recipients] == [Status.ACCEPTED, Status.REJECTED]
    error = result["+8613800138002"].error
    assert error is not None and (error.category, error.retryable) == (category, retryable)


async def test_a_wrong_key_fails_over(
    yunpian_emulator: YunpianEmulator, chuanglan_emulator: ChuanglanEmulator, gateway: Driver,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    bad = "s3cret-wrong-yunpian-key"
    providers = {"yunpian": yunpian_emulator.settings(apikey=bad), "chuanglan": chuanglan_emulator.settings()}
    message = Message(to=CN[0], text="hi", template="1", params={"c": "1"})
    result = await gateway.send(providers, message)
    assert result.ok and result["+8613800138001"].provider == "chuanglan"
    error = result.attempts[0].error
    assert error is not None and error.category is Category.AUTH and error.provider_code == "-1"
    for text in [caplog.text, str(error), repr(error), str(error.to_dict()), repr(result)]:
        assert bad not in text and APIKEY not in text


async def test_a_5xx_or_timeout_after_delivery_is_unknown(yunpian_emulator: YunpianEmulator, gateway: Driver) -> None:
    assert yunpian_emulator.server is not None
    yunpian_emulator.server.fail_next(status=502, text="bad gateway", after=True)
    assert (await gateway.send([provider(yunpian_emulator)], Message(to=CN[0], text="hi"))).recipients[
        0
    ].status is Status.UNKNOWN
    yunpian_emulator.server.fail_next(delay=30.0, after=True)  # cut short when the client hangs up
    result = await gateway.send([provider(yunpian_emulator, timeout=0.3)], Message(to=CN[0], text="hi"))
    assert result.recipients[0].status is Status.UNKNOWN
    await await_until(lambda: len(yunpian_emulator.delivered) >= 2, what="both requests to arrive")
    assert len(yunpian_emulator.delivered) == 2 and len(yunpian_emulator.server.requests) == 2


@pytest.mark.parametrize(
    ("status", "code", "category"),
    [(400, -1, Category.AUTH), (400, 3, Category.QUOTA), (400, 5, Category.TEMPLATE), (400, 2, Category.INVALID),
     (400, 9, Category.THROTTLED), (400, -100, Category.UNKNOWN), (500, -5, Category.UNKNOWN)],
)  # fmt: skip
def test_codes_are_classified(status: int, code: int, category: Category) -> None:
    p = YunpianProvider(apikey="k", sign_name="Acme")
    message = Message(to=CN[0], text="hi").normalised()
    request = p.build_request(message, message.phones)
    response = HttpResponse(status, {}, json.dumps({"code": code, "msg": "m"}).encode())
    with pytest.raises(Exception) as info:
        p.parse(request, response)
    assert getattr(info.value, "category", None) is category


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=200))
def test_any_text_survives_the_form(text: str) -> None:
    p = YunpianProvider(apikey="k", sign_name="签名")
    message = Message(to=CN[0], text="${t}", params={"t": text}).normalised()
    form = dict(parse_qsl(p.build_request(message, message.phones).body.decode(), keep_blank_values=True))
    expected = text if text.startswith("【") else f"【签名】{text}"
    assert form["text"] == expected and form["mobile"] == CN[0]
