"""Submail over real HTTP against its emulator, through both gateways."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Category, Message, Status
from smsgate.providers.submail import SubmailProvider, submail_signature
from tests.fakes.gateways import Driver
from tests.fakes.submail import APPKEY, SubmailEmulator
from tests.fakes.yunpian import YunpianEmulator
from tests.waits import await_until

CN = ["13800138001", "13800138002"]
KEY = "abcdef0123456789abcdef0123456789"


def provider(emulator: SubmailEmulator, **overrides: Any) -> SubmailProvider:
    return SubmailProvider(emulator.settings(**overrides))


def test_the_spec_vectors() -> None:
    params = {"appid": "10001", "to": "13800000000", "project": "XyZ12", "timestamp": "1700000000",
              "sign_type": "md5", "sign_version": "2", "vars": '{"code": "1"}', "tag": "t"}  # fmt: skip
    assert submail_signature("10001", KEY, params, "md5") == "5c52fdac134909029a684db36bfafeb6"
    assert submail_signature("10001", KEY, params, "sha1") == "3d3effa1e6c2dedfc79a5990afed53c395524863"


@pytest.mark.parametrize("sign_type", ["md5", "sha1", "normal"])
async def test_one_request_per_number_with_named_vars(
    submail_emulator: SubmailEmulator, gateway: Driver, sign_type: str
) -> None:
    message = Message(to=CN, template="XyZ12", params={"code": "4711"}, recipient_params={CN[1]: {"code": "2"}},
                      out_id="t-1")  # fmt: skip
    result = await gateway.send([provider(submail_emulator, sign_type=sign_type)], message)
    assert result.ok and {(d["to"], d["vars"]["code"], d["tag"]) for d in submail_emulator.delivered} == {
        ("+8613800138001", "4711", "t-1"), ("+8613800138002", "2", "t-1")}  # fmt: skip
    ids = {d["to"]: d["send_id"] for d in submail_emulator.delivered}
    assert {r.phone.e164: r.message_id for r in result.recipients} == ids


async def test_an_unknown_project_is_a_template_refusal(submail_emulator: SubmailEmulator, gateway: Driver) -> None:
    submail_emulator.projects = {"XyZ12"}
    result = await gateway.send([provider(submail_emulator)], Message(to=CN[0], template="nope", params={"c": "1"}))
    error = result.recipients[0].error
    assert error is not None and error.category is Category.TEMPLATE and error.provider_code == "420"


async def test_a_wrong_key_fails_over_and_stays_secret(
    submail_emulator: SubmailEmulator, yunpian_emulator: YunpianEmulator, gateway: Driver,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    bad = "s3cret-wrong-submail-appkey"
    for sign_type in ("md5", "normal"):
        providers = {"submail": submail_emulator.settings(appkey=bad, sign_type=sign_type),
                     "yunpian": yunpian_emulator.settings()}  # fmt: skip
        result = await gateway.send(providers, Message(to=CN[0], template="X", text="hi", params={"c": "1"}))
        assert result.ok and result.recipients[0].provider == "yunpian" and submail_emulator.delivered == []
        error = result.attempts[0].error
        assert error is not None and error.category is Category.AUTH and error.provider_code == "101"
        for text in [caplog.text, str(error), repr(error), str(error.to_dict()), repr(result)]:
            assert bad not in text and APPKEY not in text


async def test_a_5xx_or_timeout_after_delivery_is_unknown(submail_emulator: SubmailEmulator, gateway: Driver) -> None:
    assert submail_emulator.server is not None
    message = Message(to=CN[0], template="X", params={"c": "1"})
    submail_emulator.server.fail_next(status=502, text="bad gateway", after=True)
    assert (await gateway.send([provider(submail_emulator)], message)).recipients[0].status is Status.UNKNOWN
    submail_emulator.server.fail_next(delay=30.0, after=True)  # cut short when the client hangs up
    slow = await gateway.send([provider(submail_emulator, timeout=0.3)], message)
    assert slow.recipients[0].status is Status.UNKNOWN
    await await_until(lambda: len(submail_emulator.delivered) >= 2, what="both requests to arrive")
    assert len(submail_emulator.delivered) == 2 and len(submail_emulator.server.requests) == 2


@pytest.mark.parametrize(
    ("code", "category"),
    [("101", Category.AUTH), ("103", Category.AUTH), ("201", Category.INVALID), ("252", Category.RECIPIENT),
     ("420", Category.TEMPLATE), ("501", Category.QUOTA), ("9999", Category.UNKNOWN), ("", Category.UNKNOWN)],
)  # fmt: skip
def test_codes_are_classified(code: str, category: Category) -> None:
    assert SubmailProvider(appid="1", appkey="k").refusal(code, "m", {}).category is category


@given(
    st.dictionaries(st.sampled_from(["code", "name"]), st.text(st.characters(exclude_categories=["Cs"]), max_size=30))
)
def test_any_vars_are_signed_and_sent(params: dict[str, str]) -> None:
    p = SubmailProvider({"appid": "10001", "appkey": KEY}, clock=lambda: 1700000000.0)
    message = Message(to=CN[0], template="X", params=params).normalised()
    form = dict(parse_qsl(p.build_request(message, message.phones).body.decode(), keep_blank_values=True))
    assert json.loads(form["vars"]) == params and form["signature"] == submail_signature("10001", KEY, form, "md5")
