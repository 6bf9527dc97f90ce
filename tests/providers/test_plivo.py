"""Plivo over real HTTP against its emulator, through both gateways."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Category, ConfigError, HttpResponse, Message, Status
from smsgate.providers.plivo import PlivoProvider
from tests.fakes.gateways import Driver, doc_examples
from tests.fakes.plivo import AUTH_TOKEN, PlivoEmulator
from tests.fakes.twilio import FakeTwilio
from tests.waits import await_until

US = ["+14155550101", "+14155550102", "+14155550103"]


def provider(emulator: PlivoEmulator, **overrides: Any) -> PlivoProvider:
    return PlivoProvider(emulator.settings(**overrides))


async def test_sends_one_request_for_many_numbers(plivo_emulator: PlivoEmulator, gateway: Driver) -> None:
    p = provider(plivo_emulator, callback_url="https://example.com/plivo/dlr")
    result = await gateway.send([p], Message(to=US, text="Your code is ${code}", params={"code": "4711"}))
    assert result.ok and [r.phone.e164 for r in result.recipients] == US
    assert plivo_emulator.server is not None and len(plivo_emulator.server.requests) == 1
    body = json.loads(plivo_emulator.server.requests[0].body)
    assert body["dst"] == "14155550101<14155550102<14155550103" and body["src"] == "14155550100"
    assert body["url"] == "https://example.com/plivo/dlr" and body["method"] == "POST"
    by_phone = {d["dst"]: d["uuid"] for d in plivo_emulator.delivered}
    assert {r.phone.e164: r.message_id for r in result.recipients} == by_phone
    assert {d["text"] for d in plivo_emulator.delivered} == {"Your code is 4711"}


async def test_splits_at_1000_numbers(plivo_emulator: PlivoEmulator, gateway: Driver) -> None:
    phones = [f"+1415556{n:04d}" for n in range(1001)]
    result = await gateway.send([provider(plivo_emulator)], Message(to=phones, text="hi"))
    assert result.ok and len(plivo_emulator.delivered) == 1001
    assert plivo_emulator.server is not None
    assert sorted(len(json.loads(r.body)["dst"].split("<")) for r in plivo_emulator.server.requests) == [1, 1000]


async def test_per_recipient_params_group_equal_texts(plivo_emulator: PlivoEmulator, gateway: Driver) -> None:
    message = Message(to=US, text="code ${code}", params={"code": "1"}, recipient_params={US[1]: {"code": "2"}})
    result = await gateway.send([provider(plivo_emulator)], message)
    assert result.ok
    texts = {d["dst"]: d["text"] for d in plivo_emulator.delivered}
    assert texts == {US[0]: "code 1", US[1]: "code 2", US[2]: "code 1"}
    assert plivo_emulator.server is not None and len(plivo_emulator.server.requests) == 2


async def test_an_invalid_number_fails_its_request_and_sends_nothing(
    plivo_emulator: PlivoEmulator, gateway: Driver
) -> None:
    plivo_emulator.fail_phone(US[1])
    result = await gateway.send([provider(plivo_emulator)], Message(to=US, text="hi"))
    assert {r.status for r in result.recipients} == {Status.REJECTED}
    error = result[US[0]].error
    assert error is not None and error.category is Category.INVALID and "invalid dst number" in str(error)
    assert plivo_emulator.delivered == []


async def test_throttling_is_retried(plivo_emulator: PlivoEmulator, gateway: Driver) -> None:
    plivo_emulator.throttle(times=1)
    result = await gateway.send([provider(plivo_emulator)], Message(to=US[0], text="hi"))
    assert result.ok and len(plivo_emulator.delivered) == 1
    assert [a.status for a in result.attempts] == [Status.REJECTED, Status.ACCEPTED]


@pytest.mark.parametrize("overrides", [{"auth_token": "wrong"}, {"auth_id": "MA0000000000"}], ids=["token", "account"])
async def test_bad_credentials_fail_over(
    plivo_emulator: PlivoEmulator, twilio_fake: FakeTwilio, gateway: Driver, overrides: dict[str, str]
) -> None:
    providers = {"plivo": plivo_emulator.settings(**overrides), "twilio": twilio_fake.settings()}
    result = await gateway.send(providers, Message(to=US[0], text="hi"))
    assert result.ok and result[US[0]].provider == "twilio"
    assert result.attempts[0].error is not None and result.attempts[0].error.category is Category.AUTH
    assert plivo_emulator.delivered == [] and len(twilio_fake.delivered) == 1


async def test_server_error_after_delivery_is_unknown_and_sent_once(
    plivo_emulator: PlivoEmulator, twilio_fake: FakeTwilio, gateway: Driver
) -> None:
    assert plivo_emulator.server is not None
    plivo_emulator.server.fail_next(status=500, json={"api_id": "x", "error": "internal"}, after=True)
    providers = {"plivo": plivo_emulator.settings(), "twilio": twilio_fake.settings()}
    result = await gateway.send(providers, Message(to=US[0], text="hi"))
    assert result[US[0]].status is Status.UNKNOWN
    assert len(plivo_emulator.delivered) == 1 and twilio_fake.delivered == []


async def test_timeout_after_delivery_is_unknown_and_sent_once(plivo_emulator: PlivoEmulator, gateway: Driver) -> None:
    assert plivo_emulator.server is not None
    plivo_emulator.server.fail_next(delay=30.0, after=True)  # cut short when the client hangs up
    result = await gateway.send([provider(plivo_emulator, timeout=0.3)], Message(to=US[0], text="hi"))
    assert result[US[0]].status is Status.UNKNOWN
    await await_until(lambda: len(plivo_emulator.delivered) == 1, what="the request to arrive")
    assert len(plivo_emulator.server.requests) == 1


async def test_unicode_text_arrives_byte_exact(plivo_emulator: PlivoEmulator, gateway: Driver) -> None:
    text = "验证码 ${code}：🙂 Grüße"
    result = await gateway.send([provider(plivo_emulator)], Message(to=US[0], text=text, params={"code": "０１２"}))
    assert result.ok
    assert plivo_emulator.delivered[0]["text"] == "验证码 ０１２：🙂 Grüße"


async def test_secrets_stay_out_of_errors_reprs_and_logs(
    plivo_emulator: PlivoEmulator, gateway: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bad = "s3cret-wrong-plivo-token"
    p = provider(plivo_emulator, auth_token=bad)
    result = await gateway.send([p], Message(to=US[0], text="hi"))
    error = result[US[0]].error
    assert error is not None and error.category is Category.AUTH
    basic = base64.b64encode(f"{plivo_emulator.auth_id}:{bad}".encode()).decode()
    shown = [caplog.text, str(error), repr(error), str(error.to_dict()), repr(p), repr(p.settings), repr(result)]
    for text in shown:
        assert bad not in text and basic not in text and AUTH_TOKEN not in text


def test_settings_need_exactly_one_sender() -> None:
    with pytest.raises(ConfigError, match="exactly one of 'from' and 'powerpack_uuid'") as info:
        PlivoProvider(auth_id="MA1", auth_token="tok-123")
    assert "tok-123" not in str(info.value)
    with pytest.raises(ConfigError):
        PlivoProvider(auth_id="MA1", auth_token="t", powerpack_uuid="p", **{"from": "+1415"})
    assert PlivoProvider(auth_id="MA1", auth_token="t", powerpack_uuid="pp")._fixed["powerpack_uuid"] == "pp"


@pytest.mark.parametrize(
    ("status", "category", "retryable"),
    [
        (400, Category.INVALID, False),
        (401, Category.AUTH, False),
        (404, Category.AUTH, False),
        (429, Category.THROTTLED, True),
        (500, Category.UNKNOWN, False),
        (503, Category.UNKNOWN, False),
    ],
)
def test_statuses_are_classified(status: int, category: Category, retryable: bool) -> None:
    p = PlivoProvider(auth_id="MA1", auth_token="t", **{"from": "+14155550100"})
    response = HttpResponse(status, {}, b'{"api_id": "a", "error": "something"}')
    error = p.error(response, response.json())
    assert (error.category, error.retryable) == (category, retryable)
    assert error.provider_message == "something"


def test_uuids_are_not_guessed_when_their_count_is_odd() -> None:
    p = PlivoProvider(auth_id="MA1", auth_token="t", **{"from": "+14155550100"})
    message = Message(to=US[:2], text="hi").normalised()
    request = p.build_request(message, message.phones)
    for uuids, ids in ([["a", "b"], ["a", "b"]], [["a", "a2", "b", "b2"], ["a", "b"]], [["a", "b", "c"], [None, None]]):
        body = json.dumps({"api_id": "x", "message": "message(s) queued", "message_uuid": uuids}).encode()
        rows = p.parse(request, HttpResponse(202, {}, body))
        assert [r.message_id for r in rows] == ids


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=300))
def test_any_text_survives_the_json_body(text: str) -> None:
    p = PlivoProvider(auth_id="MA1", auth_token="t", **{"from": "+14155550100"})
    message = Message(to=US[0], text="${t}", params={"t": text}).normalised()
    body = json.loads(p.build_request(message, message.phones).body)
    assert body["text"] == text and body["dst"] == "14155550101"


def test_docs_example_runs(plivo_emulator: PlivoEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLIVO_ENDPOINT", plivo_emulator.endpoint)
    monkeypatch.setenv("PLIVO_AUTH_ID", plivo_emulator.auth_id)
    monkeypatch.setenv("PLIVO_AUTH_TOKEN", plivo_emulator.auth_token)
    (example,) = doc_examples("providers/plivo.md")
    exec(example, {})
    assert [d["text"] for d in plivo_emulator.delivered] == ["Your code is 4711"] * 2
