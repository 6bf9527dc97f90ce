"""Ronglian (Cloopen) over real HTTP against its emulator, through both gateways."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Category, InvalidRequest, Message, Status
from smsgate.providers.ronglian import RonglianProvider, ronglian_auth
from tests.fakes.gateways import Driver
from tests.fakes.netease import NeteaseEmulator
from tests.fakes.ronglian import AUTH_TOKEN, RonglianEmulator
from tests.waits import await_until

CN = ["13800000000", "13900000000"]
VECTOR = {"account_sid": "8a216da8000000000000000000000001", "auth_token": "testAuthToken0000000000000000001",
          "app_id": "8a216da8000000000000000000000002", "param_order": ["code", "minutes"]}  # fmt: skip


def provider(emulator: RonglianEmulator, **overrides: Any) -> RonglianProvider:
    return RonglianProvider(emulator.settings(**overrides))


def test_the_sdk_vector() -> None:
    p = RonglianProvider(VECTOR, clock=lambda: 1704067200.0)  # 2024-01-01 08:00:00 in Beijing
    message = Message(to=CN, template="1", params={"code": "1234", "minutes": "5"}).normalised()
    request = p.build_request(message, message.phones)
    assert request.url.endswith("/SMS/TemplateSMS?sig=B20A13D6BE2EED3C34DB1736117D382E")
    assert request.headers["Authorization"] == "OGEyMTZkYTgwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDE6MjAyNDAxMDEwODAwMDA="
    assert json.loads(request.body) == {"to": "13800000000,13900000000", "appId": VECTOR["app_id"], "templateId": "1",
                                        "datas": ["1234", "5"]}  # fmt: skip
    assert ronglian_auth(VECTOR["account_sid"], VECTOR["auth_token"], "20240101080000")[0] == (
        "B20A13D6BE2EED3C34DB1736117D382E"
    )


async def test_one_request_with_positional_params(ronglian_emulator: RonglianEmulator, gateway: Driver) -> None:
    message = Message(to=CN, template="1", params={"code": "4711", "minutes": "5"})
    result = await gateway.send([provider(ronglian_emulator, param_order=["code", "minutes"])], message)
    assert result.ok and [d["datas"] for d in ronglian_emulator.delivered] == [["4711", "5"]] * 2
    (sid,) = {d["sid"] for d in ronglian_emulator.delivered}
    assert {r.message_id for r in result.recipients} == {sid}


async def test_splits_at_100_numbers(ronglian_emulator: RonglianEmulator, gateway: Driver) -> None:
    phones = [f"1380013{n:04d}" for n in range(101)]
    result = await gateway.send([provider(ronglian_emulator)], Message(to=phones, template="1", params={"c": "1"}))
    assert result.ok and len(ronglian_emulator.delivered) == 101
    assert ronglian_emulator.server is not None and len(ronglian_emulator.server.requests) == 2


async def test_frequency_caps_fail_over_without_retrying(
    ronglian_emulator: RonglianEmulator, netease_emulator: NeteaseEmulator, gateway: Driver
) -> None:
    ronglian_emulator.limit()
    providers = {"ronglian": ronglian_emulator.settings(), "netease": netease_emulator.settings()}
    result = await gateway.send(providers, Message(to=CN[0], template="1", params={"c": "1"}))
    assert result.ok and result.recipients[0].provider == "netease" and len(result.attempts) == 2


async def test_a_wrong_token_fails_over_and_stays_secret(
    ronglian_emulator: RonglianEmulator, netease_emulator: NeteaseEmulator, gateway: Driver,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    bad = "s3cret-wrong-ronglian-token"
    providers = {"ronglian": ronglian_emulator.settings(auth_token=bad), "netease": netease_emulator.settings()}
    result = await gateway.send(providers, Message(to=CN[0], template="1", params={"c": "1"}))
    assert result.ok and ronglian_emulator.delivered == []
    error = result.attempts[0].error
    assert error is not None and error.category is Category.AUTH and error.provider_code == "111109"
    for text in [caplog.text, str(error), repr(error), str(error.to_dict()), repr(result)]:
        assert bad not in text and AUTH_TOKEN not in text


async def test_a_5xx_or_timeout_after_delivery_is_unknown(ronglian_emulator: RonglianEmulator, gateway: Driver) -> None:
    assert ronglian_emulator.server is not None
    message = Message(to=CN[0], template="1", params={"c": "1"})
    ronglian_emulator.server.fail_next(status=500, text="oops", after=True)
    assert (await gateway.send([provider(ronglian_emulator)], message)).recipients[0].status is Status.UNKNOWN
    ronglian_emulator.server.fail_next(delay=30.0, after=True)  # cut short when the client hangs up
    slow = await gateway.send([provider(ronglian_emulator, timeout=0.3)], message)
    assert slow.recipients[0].status is Status.UNKNOWN
    await await_until(lambda: len(ronglian_emulator.delivered) >= 2, what="both requests to arrive")
    assert len(ronglian_emulator.delivered) == 2 and len(ronglian_emulator.server.requests) == 2


def test_numbers_outside_mainland_china_are_refused_before_sending() -> None:
    with pytest.raises(InvalidRequest, match="mainland China"):
        RonglianProvider(VECTOR).check(Message(to="+14155550101", template="1", params={"code": "1", "minutes": "2"})
                                       .normalised())  # fmt: skip


@pytest.mark.parametrize(
    ("code", "category", "retryable"),
    [("111109", Category.AUTH, False), ("160032", Category.TEMPLATE, False), ("112310", Category.RECIPIENT, False),
     ("160038", Category.THROTTLED, False), ("160050", Category.UNKNOWN, False), ("999999", Category.UNKNOWN, False)],
)  # fmt: skip
def test_codes_are_classified(code: str, category: Category, retryable: bool) -> None:
    error = RonglianProvider(VECTOR).refusal(code, "m", {})
    assert (error.category, error.retryable) == (category, retryable)


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=60))
def test_any_param_survives_the_json_body(value: str) -> None:
    p = RonglianProvider({**VECTOR, "param_order": ["c"]})
    message = Message(to=CN[0], template="1", params={"c": value}).normalised()
    assert json.loads(p.build_request(message, message.phones).body)["datas"] == [value]
