"""Chuanglan 253 over real HTTP against its emulator, through both gateways."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Category, InvalidRequest, Message, Status
from smsgate.providers.chuanglan import ChuanglanProvider
from tests.fakes.chuanglan import PASSWORD, ChuanglanEmulator
from tests.fakes.gateways import Driver
from tests.waits import await_until

CN = ["13800138001", "13800138002", "13800138003"]
E164 = ["+86" + p for p in CN]


def provider(emulator: ChuanglanEmulator, **overrides: Any) -> ChuanglanProvider:
    return ChuanglanProvider(emulator.settings(**overrides))


async def test_one_request_with_each_number_s_params(chuanglan_emulator: ChuanglanEmulator, gateway: Driver) -> None:
    message = Message(to=CN, template="1021143438", params={"code": "1111"}, recipient_params={CN[1]: {"code": "2"}},
                      out_id="u-1")  # fmt: skip
    result = await gateway.send([provider(chuanglan_emulator)], message)
    assert result.ok and [r.phone.e164 for r in result.recipients] == E164
    assert chuanglan_emulator.server is not None and len(chuanglan_emulator.server.requests) == 1
    body = json.loads(chuanglan_emulator.server.requests[0].body)
    assert body["phoneNumbers"] == ",".join(CN) and body["signature"] == "Acme" and body["uid"] == "u-1"
    assert json.loads(body["templateParamJson"]) == [{"code": "1111"}, {"code": "2"}, {"code": "1111"}]
    (ident,) = {d["msgId"] for d in chuanglan_emulator.delivered}
    assert {r.message_id for r in result.recipients} == {ident}


async def test_splits_at_1000_numbers(chuanglan_emulator: ChuanglanEmulator, gateway: Driver) -> None:
    phones = [f"1380013{n:04d}" for n in range(1001)]
    result = await gateway.send([provider(chuanglan_emulator)], Message(to=phones, template="1", params={"c": "1"}))
    assert result.ok and len(chuanglan_emulator.delivered) == 1001
    assert chuanglan_emulator.server is not None and len(chuanglan_emulator.server.requests) == 2


async def test_a_request_with_failed_numbers_is_unknown_for_each(
    chuanglan_emulator: ChuanglanEmulator, gateway: Driver
) -> None:
    chuanglan_emulator.fail_phone(E164[1])
    result = await gateway.send([provider(chuanglan_emulator)], Message(to=CN, template="1", params={"c": "1"}))
    assert {r.status for r in result.recipients} == {Status.UNKNOWN}  # counts only: never resent
    assert len(chuanglan_emulator.delivered) == 2 and chuanglan_emulator.server is not None
    assert len(chuanglan_emulator.server.requests) == 1


async def test_too_fast_is_retried(chuanglan_emulator: ChuanglanEmulator, gateway: Driver) -> None:
    chuanglan_emulator.throttle()
    result = await gateway.send([provider(chuanglan_emulator)], Message(to=CN[0], template="1", params={"c": "1"}))
    assert result.ok and [a.status for a in result.attempts] == [Status.REJECTED, Status.ACCEPTED]


async def test_a_wrong_password_is_an_auth_refusal_with_no_secret_shown(
    chuanglan_emulator: ChuanglanEmulator, gateway: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bad = "s3cret-wrong-253-password"
    p = provider(chuanglan_emulator, password=bad)
    result = await gateway.send([p], Message(to=CN[0], template="1", params={"c": "1"}))
    error = result[E164[0]].error
    assert error is not None and error.category is Category.AUTH and error.provider_code == "102"
    for text in [caplog.text, str(error), repr(error), str(error.to_dict()), repr(p), repr(p.settings), repr(result)]:
        assert bad not in text and PASSWORD not in text


async def test_a_5xx_or_timeout_after_delivery_is_unknown(
    chuanglan_emulator: ChuanglanEmulator, gateway: Driver
) -> None:
    assert chuanglan_emulator.server is not None
    message = Message(to=CN[0], template="1", params={"c": "1"})
    chuanglan_emulator.server.fail_next(status=502, text="bad gateway", after=True)
    assert (await gateway.send([provider(chuanglan_emulator)], message))[E164[0]].status is Status.UNKNOWN
    chuanglan_emulator.server.fail_next(delay=30.0, after=True)  # cut short when the client hangs up
    assert (await gateway.send([provider(chuanglan_emulator, timeout=0.3)], message))[E164[0]].status is Status.UNKNOWN
    await await_until(lambda: len(chuanglan_emulator.delivered) >= 2, what="both requests to arrive")
    assert len(chuanglan_emulator.delivered) == 2 and len(chuanglan_emulator.server.requests) == 2


async def test_unicode_params_arrive_byte_exact(chuanglan_emulator: ChuanglanEmulator, gateway: Driver) -> None:
    params = {"name": "张三 🙂", "code": "０１２３"}
    result = await gateway.send([provider(chuanglan_emulator)], Message(to=CN[0], template="1", params=params))
    assert result.ok and chuanglan_emulator.delivered[0]["params"] == params


def test_numbers_outside_mainland_china_are_refused_before_sending() -> None:
    p = ChuanglanProvider(account="a", password="p")
    with pytest.raises(InvalidRequest, match="mainland China"):
        p.check(Message(to="+14155550101", template="1", params={"c": "1"}).normalised())


@pytest.mark.parametrize(
    ("code", "category", "retryable"),
    [("101", Category.AUTH, False), ("103", Category.THROTTLED, True), ("135", Category.THROTTLED, False),
     ("109", Category.QUOTA, False), ("152", Category.TEMPLATE, False), ("107", Category.RECIPIENT, False),
     ("129", Category.INVALID, False), ("104", Category.UNKNOWN, False), ("999", Category.UNKNOWN, False)],
)  # fmt: skip
def test_codes_are_classified(code: str, category: Category, retryable: bool) -> None:
    from smsgate.providers._chuanglan_errors import code_error

    error = code_error(code, "words", {"provider": "chuanglan", "provider_code": code})
    assert (error.category, error.retryable) == (category, retryable)


@given(
    st.dictionaries(st.sampled_from(["a", "b", "c"]), st.text(st.characters(exclude_categories=["Cs"]), max_size=30))
)
def test_any_params_survive_the_json_string(params: dict[str, str]) -> None:
    p = ChuanglanProvider(account="a", password="p")
    message = Message(to=CN[0], template="1", params=params or {"a": "x"}).normalised()
    body = json.loads(p.build_request(message, message.phones).body)
    assert json.loads(body["templateParamJson"]) == [params or {"a": "x"}]
