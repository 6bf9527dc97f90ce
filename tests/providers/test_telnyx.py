"""Telnyx over real HTTP against its emulator, through both gateways."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Category, ConfigError, HttpResponse, Message, Status
from smsgate.providers.telnyx import TelnyxProvider
from tests.fakes.gateways import Driver, doc_examples
from tests.fakes.sinch import SinchEmulator
from tests.fakes.telnyx import API_KEY, TelnyxEmulator
from tests.waits import await_until

US = ["+14155550101", "+14155550102", "+14155550103"]


def provider(emulator: TelnyxEmulator, **overrides: Any) -> TelnyxProvider:
    return TelnyxProvider(emulator.settings(**overrides))


async def test_one_request_per_number(telnyx_emulator: TelnyxEmulator, gateway: Driver) -> None:
    p = provider(telnyx_emulator, webhook_url="https://example.com/telnyx")
    result = await gateway.send([p], Message(to=US, text="Your code is ${code}", params={"code": "4711"}))
    assert result.ok and [r.phone.e164 for r in result.recipients] == US
    assert telnyx_emulator.server is not None and len(telnyx_emulator.server.requests) == 3
    sent = {d["to"]: d for d in telnyx_emulator.delivered}
    assert set(sent) == set(US) and {d["text"] for d in sent.values()} == {"Your code is 4711"}
    assert {d["webhook_url"] for d in sent.values()} == {"https://example.com/telnyx"}
    assert {r.phone.e164: r.message_id for r in result.recipients} == {k: v["id"] for k, v in sent.items()}


async def test_a_stopped_recipient_is_rejected_alone(telnyx_emulator: TelnyxEmulator, gateway: Driver) -> None:
    telnyx_emulator.fail_phone(US[1])
    result = await gateway.send([provider(telnyx_emulator)], Message(to=US, text="hi"))
    assert [r.status for r in result.recipients] == [Status.ACCEPTED, Status.REJECTED, Status.ACCEPTED]
    error = result[US[1]].error
    assert error is not None and error.category is Category.RECIPIENT and error.provider_code == "40300"


async def test_throttling_is_retried(telnyx_emulator: TelnyxEmulator, gateway: Driver) -> None:
    telnyx_emulator.throttle()
    result = await gateway.send([provider(telnyx_emulator)], Message(to=US[0], text="hi"))
    assert result.ok and [a.status for a in result.attempts] == [Status.REJECTED, Status.ACCEPTED]


async def test_a_bad_key_fails_over(
    telnyx_emulator: TelnyxEmulator, sinch_emulator: SinchEmulator, gateway: Driver
) -> None:
    providers = {"telnyx": telnyx_emulator.settings(api_key="wrong"), "sinch": sinch_emulator.settings()}
    result = await gateway.send(providers, Message(to=US[0], text="hi"))
    assert result.ok and result[US[0]].provider == "sinch"
    first = result.attempts[0].error
    assert first is not None and first.category is Category.AUTH and first.provider_code == "10009"


async def test_server_error_after_delivery_is_unknown_and_not_failed_over(
    telnyx_emulator: TelnyxEmulator, sinch_emulator: SinchEmulator, gateway: Driver
) -> None:
    assert telnyx_emulator.server is not None
    telnyx_emulator.server.fail_next(status=502, text="bad gateway", after=True)
    providers = {"telnyx": telnyx_emulator.settings(), "sinch": sinch_emulator.settings()}
    result = await gateway.send(providers, Message(to=US[0], text="hi"))
    assert result[US[0]].status is Status.UNKNOWN
    assert len(telnyx_emulator.delivered) == 1 and sinch_emulator.delivered == []


async def test_timeout_after_delivery_is_unknown_and_sent_once(
    telnyx_emulator: TelnyxEmulator, gateway: Driver
) -> None:
    assert telnyx_emulator.server is not None
    telnyx_emulator.server.fail_next(delay=30.0, after=True)  # cut short when the client hangs up
    result = await gateway.send([provider(telnyx_emulator, timeout=0.3)], Message(to=US[0], text="hi"))
    assert result[US[0]].status is Status.UNKNOWN
    await await_until(lambda: len(telnyx_emulator.delivered) >= 1, what="the request to arrive")
    assert len(telnyx_emulator.delivered) == 1 and len(telnyx_emulator.server.requests) == 1


async def test_unicode_text_arrives_byte_exact(telnyx_emulator: TelnyxEmulator, gateway: Driver) -> None:
    result = await gateway.send([provider(telnyx_emulator)], Message(to=US[0], text="код ${c} ✓", params={"c": "７"}))
    assert result.ok and telnyx_emulator.delivered[0]["text"] == "код ７ ✓"


async def test_secrets_stay_out_of_errors_reprs_and_logs(
    telnyx_emulator: TelnyxEmulator, gateway: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bad = "KEYs3cret-wrong-telnyx"
    p = provider(telnyx_emulator, api_key=bad)
    result = await gateway.send([p], Message(to=US[0], text="hi"))
    error = result[US[0]].error
    assert error is not None and error.category is Category.AUTH
    for text in [caplog.text, str(error), repr(error), str(error.to_dict()), repr(p), repr(p.settings), repr(result)]:
        assert bad not in text and API_KEY not in text


def test_settings_need_a_sender() -> None:
    with pytest.raises(ConfigError, match="'from' or 'messaging_profile_id'") as info:
        TelnyxProvider(api_key="KEY-123")
    assert "KEY-123" not in str(info.value)
    p = TelnyxProvider(api_key="k", messaging_profile_id="prof")
    message = Message(to=US[0], text="hi").normalised()
    body = json.loads(p.build_request(message, message.phones).body)
    assert body["messaging_profile_id"] == "prof" and "from" not in body


@pytest.mark.parametrize(
    ("status", "code", "category", "retryable"),
    [
        (401, "10009", Category.AUTH, False),
        (422, "40300", Category.RECIPIENT, False),
        (422, "40310", Category.RECIPIENT, False),
        (422, "40305", Category.TEMPLATE, False),
        (422, "40099", Category.INVALID, False),
        (429, "10011", Category.THROTTLED, True),
        (503, "90000", Category.UNKNOWN, False),
    ],
)
def test_errors_are_classified(status: int, code: str, category: Category, retryable: bool) -> None:
    p = TelnyxProvider(api_key="k", **{"from": "+18665550001"})
    body = {"errors": [{"code": code, "title": "t", "detail": "words"}]}
    response = HttpResponse(status, {}, json.dumps(body).encode())
    error = p.error(response, response.json())
    assert (error.category, error.retryable, error.provider_code) == (category, retryable, code)


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=300))
def test_any_text_survives_the_json_body(text: str) -> None:
    p = TelnyxProvider(api_key="k", **{"from": "+18665550001"})
    message = Message(to=US[0], text="${t}", params={"t": text}).normalised()
    assert json.loads(p.build_request(message, message.phones).body)["text"] == text


def test_docs_example_runs(telnyx_emulator: TelnyxEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELNYX_ENDPOINT", telnyx_emulator.endpoint)
    monkeypatch.setenv("TELNYX_API_KEY", telnyx_emulator.api_key)
    (example,) = doc_examples("providers/telnyx.md")
    exec(example, {})
    assert [d["text"] for d in telnyx_emulator.delivered] == ["Your code is 4711"] * 2
