"""MSG91 over real HTTP against its emulator, through both gateways."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Category, HttpResponse, Message, Status
from smsgate.providers.msg91 import Msg91Provider
from tests.fakes.gateways import Driver
from tests.fakes.msg91 import AUTHKEY, Msg91Emulator
from tests.waits import await_until

IN = ["+919812345601", "+919812345602", "+919812345603"]
TEMPLATE = "64f0c0ffee0123456789abcd"


def provider(emulator: Msg91Emulator, **overrides: Any) -> Msg91Provider:
    return Msg91Provider(emulator.settings(**overrides))


async def test_one_request_with_each_number_s_params(msg91_emulator: Msg91Emulator, gateway: Driver) -> None:
    message = Message(to=IN, template=TEMPLATE, params={"OTP": "1111"}, recipient_params={IN[1]: {"OTP": "2222"}})
    result = await gateway.send([provider(msg91_emulator)], message)
    assert result.ok and [r.phone.e164 for r in result.recipients] == IN
    assert msg91_emulator.server is not None and len(msg91_emulator.server.requests) == 1
    sent = {"+" + d["mobiles"]: d["vars"] for d in msg91_emulator.delivered}
    assert sent == {IN[0]: {"OTP": "1111"}, IN[1]: {"OTP": "2222"}, IN[2]: {"OTP": "1111"}}
    (request_id,) = {d["id"] for d in msg91_emulator.delivered}
    assert {r.message_id for r in result.recipients} == {request_id}


async def test_splits_at_100_numbers(msg91_emulator: Msg91Emulator, gateway: Driver) -> None:
    phones = [f"+9198123{n:05d}" for n in range(101)]
    result = await gateway.send([provider(msg91_emulator)], Message(to=phones, template=TEMPLATE, params={"OTP": "1"}))
    assert result.ok and len(msg91_emulator.delivered) == 101
    assert msg91_emulator.server is not None and len(msg91_emulator.server.requests) == 2


async def test_an_unknown_template_is_refused(msg91_emulator: Msg91Emulator, gateway: Driver) -> None:
    msg91_emulator.templates = {TEMPLATE}
    result = await gateway.send([provider(msg91_emulator)], Message(to=IN[0], template="nope", params={"OTP": "1"}))
    error = result[IN[0]].error
    assert error is not None and error.category is Category.INVALID and "Template" in str(error)
    assert msg91_emulator.delivered == []


async def test_throttling_is_retried(msg91_emulator: Msg91Emulator, gateway: Driver) -> None:
    msg91_emulator.throttle()
    result = await gateway.send([provider(msg91_emulator)], Message(to=IN[0], template=TEMPLATE, params={"OTP": "1"}))
    assert result.ok and [a.status for a in result.attempts] == [Status.REJECTED, Status.ACCEPTED]


async def test_a_bad_key_is_an_auth_refusal(
    msg91_emulator: Msg91Emulator, gateway: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bad = "s3cret-wrong-msg91-key"
    p = provider(msg91_emulator, authkey=bad)
    result = await gateway.send([p], Message(to=IN[0], template=TEMPLATE, params={"OTP": "1"}))
    error = result[IN[0]].error
    assert error is not None and error.category is Category.AUTH
    for text in [caplog.text, str(error), repr(error), str(error.to_dict()), repr(p), repr(p.settings), repr(result)]:
        assert bad not in text and AUTHKEY not in text


async def test_server_error_and_timeout_after_delivery_are_unknown(
    msg91_emulator: Msg91Emulator, gateway: Driver
) -> None:
    assert msg91_emulator.server is not None
    msg91_emulator.server.fail_next(status=502, text="bad gateway", after=True)
    message = Message(to=IN[0], template=TEMPLATE, params={"OTP": "1"})
    assert (await gateway.send([provider(msg91_emulator)], message))[IN[0]].status is Status.UNKNOWN
    msg91_emulator.server.fail_next(delay=30.0, after=True)  # cut short when the client hangs up
    assert (await gateway.send([provider(msg91_emulator, timeout=0.3)], message))[IN[0]].status is Status.UNKNOWN
    await await_until(lambda: len(msg91_emulator.delivered) >= 2, what="both requests to arrive")
    assert len(msg91_emulator.delivered) == 2 and len(msg91_emulator.server.requests) == 2


@pytest.mark.parametrize(
    ("status", "body", "category"),
    [(200, {"type": "error", "message": "Authentication failure"}, Category.AUTH),
     (200, {"type": "error", "message": "Invalid Mobile Number"}, Category.INVALID),
     (429, {"type": "error", "message": "Too many requests"}, Category.THROTTLED),
     (429, None, Category.THROTTLED), (500, {"type": "error"}, Category.UNKNOWN), (200, None, Category.UNKNOWN)],
)  # fmt: skip
def test_errors_are_classified(status: int, body: dict[str, str] | None, category: Category) -> None:
    p = Msg91Provider(authkey="k")
    response = HttpResponse(status, {}, json.dumps(body).encode() if body else b"")
    assert p.error(response, response.json()).category is category


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=100))
def test_any_param_survives_the_json_body(value: str) -> None:
    p = Msg91Provider(authkey="k")
    message = Message(to=IN[0], template=TEMPLATE, params={"VAR1": value}).normalised()
    body = json.loads(p.build_request(message, message.phones).body)
    assert body["recipients"] == [{"mobiles": "919812345601", "VAR1": value}]
