"""UCloud USMS over real HTTP against its emulator, through both gateways."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Category, Message, Status
from smsgate.providers.ucloud import UCloudProvider, ucloud_signature
from tests.fakes.gateways import Driver
from tests.fakes.ucloud import PRIVATE_KEY, UCloudEmulator
from tests.fakes.yunpian import YunpianEmulator
from tests.waits import await_until

CN = ["13800138001", "13800138002"]


def provider(emulator: UCloudEmulator, **overrides: Any) -> UCloudProvider:
    return UCloudProvider(emulator.settings(**overrides))


def test_the_sdk_vectors() -> None:
    assert ucloud_signature("my_private_key", {"foo": "bar"}) == "634edc1bb957c0d65e5ab5494cf3b7784fbc87af"
    with_key = {"foo": "bar", "PublicKey": "my_public_key"}
    assert ucloud_signature("my_private_key", with_key) == "d4411ab30953fb0bbcb1e7313081f05e4e91a394"
    send = {"Action": "SendUSMSMessage", "PhoneNumbers.0": "18500000000", "PhoneNumbers.1": "(852)55550000",
            "ProjectId": "org-test", "PublicKey": "testPublicKey", "Region": "cn-bj2", "SigContent": "UCloud",
            "TemplateId": "UTA20100100001", "TemplateParams.0": "123456"}  # fmt: skip
    assert ucloud_signature("testPrivateKey", send) == "fdc73fb6630f57a6ac4a175d82ccdb60b3717acb"


async def test_one_request_for_equal_params(ucloud_emulator: UCloudEmulator, gateway: Driver) -> None:
    message = Message(to=[*CN, "+85251234567"], template="UTA1", params={"code": "4711"}, out_id="u1")
    result = await gateway.send([provider(ucloud_emulator)], message)
    assert result.ok and ucloud_emulator.server is not None and len(ucloud_emulator.server.requests) == 1
    form = dict(parse_qsl(ucloud_emulator.server.requests[0].body.decode()))
    assert (form["PhoneNumbers.0"], form["PhoneNumbers.2"], form["TemplateParams.0"]) == (
        CN[0],
        "(852)51234567",
        "4711",
    )
    assert form["SigContent"] == "UCloud" and form["UserId"] == "u1" and form["ProjectId"] == "org-test"
    (session,) = {d["session"] for d in ucloud_emulator.delivered}
    assert {r.message_id for r in result.recipients} == {session}


async def test_positional_params_and_per_recipient_params(ucloud_emulator: UCloudEmulator, gateway: Driver) -> None:
    message = Message(
        to=CN, template="UTA1", params={"code": "1", "minutes": "5"}, recipient_params={CN[1]: {"code": "2"}}
    )
    result = await gateway.send([provider(ucloud_emulator, param_order=["code", "minutes"])], message)
    assert result.ok and ucloud_emulator.server is not None and len(ucloud_emulator.server.requests) == 2
    assert sorted(d["params"] for d in ucloud_emulator.delivered) == [["1", "5"], ["2", "5"]]


async def test_splits_at_100_numbers(ucloud_emulator: UCloudEmulator, gateway: Driver) -> None:
    phones = [f"1380013{n:04d}" for n in range(101)]
    result = await gateway.send([provider(ucloud_emulator)], Message(to=phones, template="T", params={"c": "1"}))
    assert result.ok and len(ucloud_emulator.delivered) == 101
    assert ucloud_emulator.server is not None and len(ucloud_emulator.server.requests) == 2


async def test_throttling_is_retried(ucloud_emulator: UCloudEmulator, gateway: Driver) -> None:
    ucloud_emulator.throttle()
    result = await gateway.send([provider(ucloud_emulator)], Message(to=CN[0], template="T", params={"c": "1"}))
    assert result.ok and [a.status for a in result.attempts] == [Status.REJECTED, Status.ACCEPTED]


async def test_a_wrong_key_fails_over_and_stays_secret(
    ucloud_emulator: UCloudEmulator, yunpian_emulator: YunpianEmulator, gateway: Driver,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    bad = "s3cret-wrong-ucloud-private-key"
    providers = {"ucloud": ucloud_emulator.settings(private_key=bad), "yunpian": yunpian_emulator.settings()}
    result = await gateway.send(providers, Message(to=CN[0], template="T", text="hi", params={"c": "1"}))
    assert result.ok and result.recipients[0].provider == "yunpian" and ucloud_emulator.delivered == []
    error = result.attempts[0].error
    assert error is not None and error.category is Category.AUTH and error.provider_code == "171"
    for text in [caplog.text, str(error), repr(error), str(error.to_dict()), repr(result)]:
        assert bad not in text and PRIVATE_KEY not in text


async def test_a_5xx_or_timeout_after_delivery_is_unknown(ucloud_emulator: UCloudEmulator, gateway: Driver) -> None:
    assert ucloud_emulator.server is not None
    message = Message(to=CN[0], template="T", params={"c": "1"})
    ucloud_emulator.server.fail_next(status=503, text="unavailable", after=True)
    assert (await gateway.send([provider(ucloud_emulator)], message)).recipients[0].status is Status.UNKNOWN
    ucloud_emulator.server.fail_next(delay=30.0, after=True)  # cut short when the client hangs up
    assert (await gateway.send([provider(ucloud_emulator, timeout=0.3)], message)).recipients[
        0
    ].status is Status.UNKNOWN
    await await_until(lambda: len(ucloud_emulator.delivered) >= 2, what="both requests to arrive")
    assert len(ucloud_emulator.delivered) == 2 and len(ucloud_emulator.server.requests) == 2


@pytest.mark.parametrize(
    ("code", "category"),
    [(171, Category.AUTH), (172, Category.AUTH), (160, Category.INVALID), (153, Category.THROTTLED),
     (150, Category.UNKNOWN), (21505, Category.UNKNOWN)],
)  # fmt: skip
def test_codes_are_classified(code: int, category: Category) -> None:
    p = UCloudProvider(public_key="k", private_key="s")
    assert p.refusal(code, "m", {}).category is category


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=60))
def test_any_param_is_signed_and_sent_byte_exact(value: str) -> None:
    p = UCloudProvider(public_key="k", private_key="s")
    message = Message(to=CN[0], template="T", params={"c": value}).normalised()
    form = dict(parse_qsl(p.build_request(message, message.phones).body.decode(), keep_blank_values=True))
    assert form["TemplateParams.0"] == value and form["Signature"] == ucloud_signature("s", form)
