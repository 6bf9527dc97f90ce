"""NetEase Yunxin over real HTTP against its emulator, through both gateways."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Category, InvalidRequest, Message, Status
from smsgate.providers.netease import NeteaseProvider, netease_checksum
from tests.fakes.gateways import Driver
from tests.fakes.netease import APP_SECRET, NeteaseEmulator
from tests.fakes.ucloud import UCloudEmulator
from tests.waits import await_until

CN = ["13800138001", "13800138002", "13800138003"]


def provider(emulator: NeteaseEmulator, **overrides: Any) -> NeteaseProvider:
    return NeteaseProvider(emulator.settings(**overrides))


def test_the_checksum_vector() -> None:
    assert (
        netease_checksum("testAppSecret", "4tgggergigwow323t23t", "1700000000")
        == "0d3b650f57a0a67e8a8cce81b86803f70e99fd55"
    )


def test_requests_are_signed_with_the_injected_clock_and_nonce() -> None:
    p = NeteaseProvider({"app_key": "k", "app_secret": "testAppSecret"}, clock=lambda: 1700000000.0,
                        nonce=lambda: "4tgggergigwow323t23t")  # fmt: skip
    message = Message(to=CN[0], template="1", params={"code": "1"}).normalised()
    headers = p.build_request(message, message.phones).headers
    assert (headers["CurTime"], headers["CheckSum"]) == ("1700000000", "0d3b650f57a0a67e8a8cce81b86803f70e99fd55")


async def test_one_request_with_positional_params(netease_emulator: NeteaseEmulator, gateway: Driver) -> None:
    message = Message(to=CN, template="3057527", params={"code": "4711", "minutes": "5"})
    result = await gateway.send([provider(netease_emulator, param_order=["code", "minutes"])], message)
    assert result.ok and netease_emulator.server is not None and len(netease_emulator.server.requests) == 1
    form = dict(parse_qsl(netease_emulator.server.requests[0].body.decode()))
    assert json.loads(form["mobiles"]) == CN and json.loads(form["params"]) == ["4711", "5"]
    (send_id,) = {d["sendid"] for d in netease_emulator.delivered}
    assert {r.message_id for r in result.recipients} == {str(send_id)}


async def test_splits_at_100_and_by_params(netease_emulator: NeteaseEmulator, gateway: Driver) -> None:
    phones = [f"1380013{n:04d}" for n in range(102)]  # one with its own params, then 100 + 1
    message = Message(to=phones, template="1", params={"c": "1"}, recipient_params={phones[0]: {"c": "2"}})
    result = await gateway.send([provider(netease_emulator)], message)
    assert result.ok and len(netease_emulator.delivered) == 102
    assert netease_emulator.server is not None and len(netease_emulator.server.requests) == 3


async def test_frequency_control_fails_over_without_retrying(
    netease_emulator: NeteaseEmulator, ucloud_emulator: UCloudEmulator, gateway: Driver
) -> None:
    netease_emulator.throttle()
    providers = {"netease": netease_emulator.settings(), "ucloud": ucloud_emulator.settings()}
    result = await gateway.send(providers, Message(to=CN[0], template="1", params={"c": "1"}))
    assert result.ok and result.recipients[0].provider == "ucloud" and len(result.attempts) == 2


async def test_a_wrong_secret_is_refused_and_stays_secret(
    netease_emulator: NeteaseEmulator, gateway: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bad = "s3cret-wrong-netease-secret"
    p = provider(netease_emulator, app_secret=bad)
    result = await gateway.send([p], Message(to=CN[0], template="1", params={"c": "1"}))
    error = result.recipients[0].error
    assert error is not None and error.provider_code == "414" and netease_emulator.delivered == []
    for text in [caplog.text, str(error), repr(error), str(error.to_dict()), repr(p), repr(p.settings), repr(result)]:
        assert bad not in text and APP_SECRET not in text


async def test_a_5xx_or_timeout_after_delivery_is_unknown(netease_emulator: NeteaseEmulator, gateway: Driver) -> None:
    assert netease_emulator.server is not None
    message = Message(to=CN[0], template="1", params={"c": "1"})
    netease_emulator.server.fail_next(status=500, text="oops", after=True)
    assert (await gateway.send([provider(netease_emulator)], message)).recipients[0].status is Status.UNKNOWN
    netease_emulator.server.fail_next(delay=30.0, after=True)  # cut short when the client hangs up
    slow = await gateway.send([provider(netease_emulator, timeout=0.3)], message)
    assert slow.recipients[0].status is Status.UNKNOWN
    await await_until(lambda: len(netease_emulator.delivered) >= 2, what="both requests to arrive")
    assert len(netease_emulator.delivered) == 2 and len(netease_emulator.server.requests) == 2


def test_numbers_outside_mainland_china_are_refused_before_sending() -> None:
    with pytest.raises(InvalidRequest, match="mainland China"):
        NeteaseProvider(app_key="k", app_secret="s").check(Message(to="+14155550101", template="1").normalised())


@pytest.mark.parametrize(
    ("code", "category", "retryable"),
    [(315, Category.AUTH, False), (403, Category.AUTH, False), (419, Category.QUOTA, False),
     (414, Category.INVALID, False), (416, Category.THROTTLED, False), (417, Category.UNKNOWN, False),
     (418, Category.UNKNOWN, False), (500, Category.UNKNOWN, False)],
)  # fmt: skip
def test_codes_are_classified(code: int, category: Category, retryable: bool) -> None:
    error = NeteaseProvider(app_key="k", app_secret="s").refusal(code, "m", {})
    assert (error.category, error.retryable) == (category, retryable)


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=60))
def test_any_param_survives_the_json_array(value: str) -> None:
    p = NeteaseProvider(app_key="k", app_secret="s")
    message = Message(to=CN[0], template="1", params={"c": value}).normalised()
    form = dict(parse_qsl(p.build_request(message, message.phones).body.decode(), keep_blank_values=True))
    assert json.loads(form["params"]) == [value]
