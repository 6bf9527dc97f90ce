"""Sinch over real HTTP against its emulator, through both gateways."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Category, ConfigError, HttpResponse, Message, Status
from smsgate.providers.sinch import SinchProvider
from tests.fakes.gateways import Driver, doc_examples
from tests.fakes.plivo import PlivoEmulator
from tests.fakes.sinch import API_TOKEN, SinchEmulator
from tests.waits import await_until

US = ["+14155550101", "+14155550102", "+14155550103"]


def provider(emulator: SinchEmulator, **overrides: Any) -> SinchProvider:
    return SinchProvider(emulator.settings(**overrides))


async def test_one_batch_for_many_numbers(sinch_emulator: SinchEmulator, gateway: Driver) -> None:
    p = provider(sinch_emulator, callback_url="https://example.com/sinch")
    message = Message(to=US, text="Your code is ${code}", params={"code": "4711"}, out_id="order-9")
    result = await gateway.send([p], message)
    assert result.ok and [r.phone.e164 for r in result.recipients] == US
    assert sinch_emulator.server is not None and len(sinch_emulator.server.requests) == 1
    batch = json.loads(sinch_emulator.server.requests[0].body)
    assert batch["to"] == US and batch["from"] == "+14155550100" and batch["body"] == "Your code is 4711"
    assert batch["callback_url"] == "https://example.com/sinch" and batch["delivery_report"] == "per_recipient_final"
    assert batch["client_reference"] == "order-9"
    (batch_id,) = {d["batch_id"] for d in sinch_emulator.delivered}
    assert {r.message_id for r in result.recipients} == {batch_id}


async def test_splits_at_1000_numbers(sinch_emulator: SinchEmulator, gateway: Driver) -> None:
    phones = [f"+1415556{n:04d}" for n in range(1001)]
    result = await gateway.send([provider(sinch_emulator)], Message(to=phones, text="hi"))
    assert result.ok and len(sinch_emulator.delivered) == 1001
    assert sinch_emulator.server is not None
    assert sorted(len(json.loads(r.body)["to"]) for r in sinch_emulator.server.requests) == [1, 1000]


async def test_per_recipient_params_group_equal_texts(sinch_emulator: SinchEmulator, gateway: Driver) -> None:
    message = Message(to=US, text="code ${code}", params={"code": "1"}, recipient_params={US[1]: {"code": "2"}})
    result = await gateway.send([provider(sinch_emulator)], message)
    assert result.ok
    assert {d["to"]: d["body"] for d in sinch_emulator.delivered} == {US[0]: "code 1", US[1]: "code 2", US[2]: "code 1"}


async def test_a_malformed_number_refuses_its_batch(sinch_emulator: SinchEmulator, gateway: Driver) -> None:
    sinch_emulator.fail_phone(US[2])
    result = await gateway.send([provider(sinch_emulator)], Message(to=US, text="hi"))
    error = result[US[0]].error
    assert error is not None and error.category is Category.INVALID
    assert error.provider_code == "syntax_constraint_violation" and sinch_emulator.delivered == []


async def test_throttling_is_retried(sinch_emulator: SinchEmulator, gateway: Driver) -> None:
    sinch_emulator.throttle()
    result = await gateway.send([provider(sinch_emulator)], Message(to=US[0], text="hi"))
    assert result.ok and [a.status for a in result.attempts] == [Status.REJECTED, Status.ACCEPTED]
    assert len(sinch_emulator.delivered) == 1


@pytest.mark.parametrize("overrides", [{"api_token": "wrong"}, {"service_plan_id": "other"}], ids=["token", "plan"])
async def test_bad_credentials_fail_over(
    sinch_emulator: SinchEmulator, plivo_emulator: PlivoEmulator, gateway: Driver, overrides: dict[str, str]
) -> None:
    providers = {"sinch": sinch_emulator.settings(**overrides), "plivo": plivo_emulator.settings()}
    result = await gateway.send(providers, Message(to=US[0], text="hi"))
    assert result.ok and result[US[0]].provider == "plivo"
    first = result.attempts[0].error
    assert first is not None and first.category is Category.AUTH and sinch_emulator.delivered == []


async def test_server_error_after_delivery_is_unknown_and_not_failed_over(
    sinch_emulator: SinchEmulator, plivo_emulator: PlivoEmulator, gateway: Driver
) -> None:
    assert sinch_emulator.server is not None
    sinch_emulator.server.fail_next(status=503, json={"code": "service_unavailable", "text": "x"}, after=True)
    providers = {"sinch": sinch_emulator.settings(), "plivo": plivo_emulator.settings()}
    result = await gateway.send(providers, Message(to=US[0], text="hi"))
    assert result[US[0]].status is Status.UNKNOWN
    assert len(sinch_emulator.delivered) == 1 and plivo_emulator.delivered == []


async def test_timeout_after_delivery_is_unknown_and_sent_once(sinch_emulator: SinchEmulator, gateway: Driver) -> None:
    assert sinch_emulator.server is not None
    sinch_emulator.server.fail_next(delay=30.0, after=True)  # cut short when the client hangs up
    result = await gateway.send([provider(sinch_emulator, timeout=0.3)], Message(to=US[0], text="hi"))
    assert result[US[0]].status is Status.UNKNOWN
    await await_until(lambda: len(sinch_emulator.delivered) >= 1, what="the request to arrive")
    assert len(sinch_emulator.delivered) == 1 and len(sinch_emulator.server.requests) == 1


async def test_unicode_text_arrives_byte_exact(sinch_emulator: SinchEmulator, gateway: Driver) -> None:
    result = await gateway.send([provider(sinch_emulator)], Message(to=US[0], text="验证码 ${c} 🙂", params={"c": "٣"}))
    assert result.ok and sinch_emulator.delivered[0]["body"] == "验证码 ٣ 🙂"


async def test_secrets_stay_out_of_errors_reprs_and_logs(
    sinch_emulator: SinchEmulator, gateway: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bad = "s3cret-wrong-sinch-token"
    p = provider(sinch_emulator, api_token=bad)
    result = await gateway.send([p], Message(to=US[0], text="hi"))
    error = result[US[0]].error
    assert error is not None and error.category is Category.AUTH
    for text in [caplog.text, str(error), repr(error), str(error.to_dict()), repr(p), repr(p.settings), repr(result)]:
        assert bad not in text and API_TOKEN not in text


def test_region_picks_the_host() -> None:
    p = SinchProvider(service_plan_id="plan", api_token="t", region="eu", **{"from": "Acme"})
    message = Message(to=US[0], text="hi").normalised()
    assert p.build_request(message, message.phones).url == "https://eu.sms.api.sinch.com/xms/v1/plan/batches"
    with pytest.raises(ConfigError, match="region"):
        SinchProvider(service_plan_id="plan", api_token="t", region="mars", **{"from": "Acme"})


@pytest.mark.parametrize(
    ("status", "code", "category", "retryable"),
    [
        (400, "syntax_invalid_parameter_format", Category.INVALID, False),
        (401, "unauthorized", Category.AUTH, False),
        (403, "forbidden", Category.AUTH, False),
        (429, "too_many_requests", Category.THROTTLED, True),
        (500, "internal_error", Category.UNKNOWN, False),
    ],
)
def test_errors_are_classified(status: int, code: str, category: Category, retryable: bool) -> None:
    p = SinchProvider(service_plan_id="plan", api_token="t", **{"from": "Acme"})
    response = HttpResponse(status, {}, json.dumps({"code": code, "text": "words"}).encode())
    error = p.error(response, response.json())
    assert (error.category, error.retryable) == (category, retryable)
    assert error.provider_code == code and error.provider_message == "words"


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=300))
def test_any_text_survives_the_json_body(text: str) -> None:
    p = SinchProvider(service_plan_id="plan", api_token="t", **{"from": "Acme"})
    message = Message(to=US[0], text="${t}", params={"t": text}).normalised()
    assert json.loads(p.build_request(message, message.phones).body)["body"] == text


def test_docs_example_runs(sinch_emulator: SinchEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SINCH_ENDPOINT", sinch_emulator.endpoint)
    monkeypatch.setenv("SINCH_SERVICE_PLAN_ID", sinch_emulator.service_plan_id)
    monkeypatch.setenv("SINCH_API_TOKEN", sinch_emulator.api_token)
    (example,) = doc_examples("providers/sinch.md")
    exec(example, {})
    assert [d["body"] for d in sinch_emulator.delivered] == ["Your code is 4711"] * 2
