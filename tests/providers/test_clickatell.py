"""Clickatell over real HTTP against its emulator, through both gateways."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Category, HttpResponse, Message, Status
from smsgate.providers.clickatell import ClickatellProvider
from tests.fakes.clickatell import API_KEY, ClickatellEmulator
from tests.fakes.gateways import Driver
from tests.fakes.telnyx import TelnyxEmulator
from tests.waits import await_until

US = ["+14155550101", "+14155550102", "+14155550103"]


def provider(emulator: ClickatellEmulator, **overrides: Any) -> ClickatellProvider:
    return ClickatellProvider(emulator.settings(**overrides))


async def test_one_request_answered_per_number(clickatell_emulator: ClickatellEmulator, gateway: Driver) -> None:
    message = Message(to=US, text="Your code is ${code}", params={"code": "4711"}, out_id="c-1")
    result = await gateway.send([provider(clickatell_emulator)], message)
    assert result.ok and [r.phone.e164 for r in result.recipients] == US
    assert clickatell_emulator.server is not None and len(clickatell_emulator.server.requests) == 1
    body = json.loads(clickatell_emulator.server.requests[0].body)
    assert body["to"] == [p[1:] for p in US] and body["clientMessageId"] == "c-1"
    ids = {"+" + d["to"]: d["id"] for d in clickatell_emulator.delivered}
    assert {r.phone.e164: r.message_id for r in result.recipients} == ids


async def test_splits_at_100_numbers(clickatell_emulator: ClickatellEmulator, gateway: Driver) -> None:
    result = await gateway.send([provider(clickatell_emulator)], Message(to=[f"+1415556{n:04d}" for n in range(101)],
                                                                          text="hi"))  # fmt: skip
    assert result.ok and len(clickatell_emulator.delivered) == 101
    assert clickatell_emulator.server is not None and len(clickatell_emulator.server.requests) == 2


async def test_a_refused_number_is_refused_alone(clickatell_emulator: ClickatellEmulator, gateway: Driver) -> None:
    clickatell_emulator.fail_phone(US[1])
    result = await gateway.send([provider(clickatell_emulator)], Message(to=US, text="hi"))
    assert [r.status for r in result.recipients] == [Status.ACCEPTED, Status.REJECTED, Status.ACCEPTED]
    error = result[US[1]].error
    assert error is not None and error.category is Category.RECIPIENT and error.provider_code == "105"


async def test_throttling_is_retried(clickatell_emulator: ClickatellEmulator, gateway: Driver) -> None:
    clickatell_emulator.throttle()
    result = await gateway.send([provider(clickatell_emulator)], Message(to=US[0], text="hi"))
    assert result.ok and [a.status for a in result.attempts] == [Status.REJECTED, Status.ACCEPTED]


async def test_a_bad_key_fails_over(
    clickatell_emulator: ClickatellEmulator, telnyx_emulator: TelnyxEmulator, gateway: Driver
) -> None:
    providers = {"clickatell": clickatell_emulator.settings(api_key="wrong"), "telnyx": telnyx_emulator.settings()}
    result = await gateway.send(providers, Message(to=US[0], text="hi"))
    assert result.ok and result[US[0]].provider == "telnyx" and clickatell_emulator.delivered == []


async def test_server_error_after_delivery_is_unknown_and_not_failed_over(
    clickatell_emulator: ClickatellEmulator, telnyx_emulator: TelnyxEmulator, gateway: Driver
) -> None:
    assert clickatell_emulator.server is not None
    clickatell_emulator.server.fail_next(status=500, text="oops", after=True)
    providers = {"clickatell": clickatell_emulator.settings(), "telnyx": telnyx_emulator.settings()}
    result = await gateway.send(providers, Message(to=US[0], text="hi"))
    assert result[US[0]].status is Status.UNKNOWN
    assert len(clickatell_emulator.delivered) == 1 and telnyx_emulator.delivered == []


async def test_timeout_after_delivery_is_unknown_and_sent_once(
    clickatell_emulator: ClickatellEmulator, gateway: Driver
) -> None:
    assert clickatell_emulator.server is not None
    clickatell_emulator.server.fail_next(delay=30.0, after=True)  # cut short when the client hangs up
    result = await gateway.send([provider(clickatell_emulator, timeout=0.3)], Message(to=US[0], text="hi"))
    assert result[US[0]].status is Status.UNKNOWN
    await await_until(lambda: len(clickatell_emulator.delivered) >= 1, what="the request to arrive")
    assert len(clickatell_emulator.delivered) == 1 and len(clickatell_emulator.server.requests) == 1


async def test_unicode_and_secrets(
    clickatell_emulator: ClickatellEmulator, gateway: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    result = await gateway.send([provider(clickatell_emulator)], Message(to=US[0], text="${c}", params={"c": "ß验🙂"}))
    assert result.ok and clickatell_emulator.delivered[0]["content"] == "ß验🙂"
    bad = "s3cret-wrong-clickatell-key"
    p = provider(clickatell_emulator, api_key=bad)
    refused = await gateway.send([p], Message(to=US[0], text="hi"))
    error = refused[US[0]].error
    assert error is not None and error.category is Category.AUTH
    for text in [caplog.text, str(error), repr(error), str(error.to_dict()), repr(p), repr(p.settings), repr(refused)]:
        assert bad not in text and API_KEY not in text


@pytest.mark.parametrize(
    ("status", "category"), [(400, Category.INVALID), (401, Category.AUTH), (429, Category.THROTTLED),
                             (502, Category.UNKNOWN), (202, Category.UNKNOWN)]
)  # fmt: skip
def test_errors_are_classified(status: int, category: Category) -> None:
    p = ClickatellProvider(api_key="k")
    response = HttpResponse(status, {}, json.dumps({"messages": [], "error": "e", "errorDescription": "d"}).encode())
    assert p.error(response, response.json()).category is category


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=300))
def test_any_text_survives_the_json_body(text: str) -> None:
    p = ClickatellProvider(api_key="k")
    message = Message(to=US[0], text="${t}", params={"t": text}).normalised()
    assert json.loads(p.build_request(message, message.phones).body)["content"] == text
