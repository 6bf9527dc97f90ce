"""Azure Communication Services over real HTTP against its emulator, through both gateways."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Category, ConfigError, HttpResponse, Message, Status
from smsgate.providers.azure import AzureProvider, acs_authorization
from tests.fakes.azure import ACCESS_KEY, AzureEmulator
from tests.fakes.gateways import Driver
from tests.fakes.telnyx import TelnyxEmulator
from tests.waits import await_until

US = ["+14155550101", "+14155550102", "+14155550103"]
VECTOR_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # provider-specs-2 §23.16
VECTOR_BODY = (
    b'{"from": "+18005550100", "smsRecipients": [{"to": "+14255550123", "repeatabilityRequestId": '
    b'"5653c48c-ecc0-49cd-946f-cce391f45e5a", "repeatabilityFirstSent": "Wed, 25 Nov 2026 14:13:59 GMT"}], '
    b'"message": "Hello", "smsSendOptions": {"enableDeliveryReport": true, "tag": "t1"}}'
)


def provider(emulator: AzureEmulator, **overrides: Any) -> AzureProvider:
    return AzureProvider(emulator.settings(**overrides))


def test_the_sdk_vector() -> None:
    content_hash, authorization = acs_authorization(
        base64.b64decode(VECTOR_KEY), "POST", "/sms?api-version=2021-03-07", "contoso.communication.azure.com",
        "Mon, 01 Jan 2024 00:00:00 GMT", VECTOR_BODY,
    )  # fmt: skip
    assert content_hash == "asDQ3vCgEPWeKD4Hwv9iIU2SXRPXykCsSSg7MytU0uk="
    assert authorization.endswith("&Signature=rp//1Zo1rS7eUbkZfP9faeB2/xt0cRuPwYNkA5cY06M=")


def test_requests_are_signed_at_the_injected_time() -> None:
    host = "contoso.communication.azure.com"
    settings = {"endpoint": f"https://{host}", "access_key": VECTOR_KEY, "from": "+18005550100"}
    p = AzureProvider(settings, clock=lambda: 1704067200.0)
    message = Message(to=US[0], text="Hello").normalised()
    request = p.build_request(message, message.phones)
    assert request.url == "https://contoso.communication.azure.com/sms?api-version=2021-03-07"
    assert request.headers["x-ms-date"] == "Mon, 01 Jan 2024 00:00:00 GMT"
    date, path = "Mon, 01 Jan 2024 00:00:00 GMT", "/sms?api-version=2021-03-07"
    expected = acs_authorization(base64.b64decode(VECTOR_KEY), "POST", path, host, date, request.body)
    assert (request.headers["x-ms-content-sha256"], request.headers["Authorization"]) == expected


async def test_one_request_answered_per_number(azure_emulator: AzureEmulator, gateway: Driver) -> None:
    message = Message(to=US, text="Your code is ${code}", params={"code": "4711"}, out_id="t1")
    result = await gateway.send([provider(azure_emulator)], message)
    assert result.ok and [r.phone.e164 for r in result.recipients] == US
    assert azure_emulator.server is not None and len(azure_emulator.server.requests) == 1
    ids = {d["to"]: d["id"] for d in azure_emulator.delivered}
    assert {r.phone.e164: r.message_id for r in result.recipients} == ids
    assert {d["tag"] for d in azure_emulator.delivered} == {"t1"}
    body = json.loads(azure_emulator.server.requests[0].body)
    assert len({r["repeatabilityRequestId"] for r in body["smsRecipients"]}) == 3


async def test_splits_at_100_numbers(azure_emulator: AzureEmulator, gateway: Driver) -> None:
    phones = [f"+1415556{n:04d}" for n in range(101)]
    result = await gateway.send([provider(azure_emulator)], Message(to=phones, text="hi"))
    assert result.ok and len(azure_emulator.delivered) == 101
    assert azure_emulator.server is not None and len(azure_emulator.server.requests) == 2


async def test_a_refused_number_is_refused_alone(azure_emulator: AzureEmulator, gateway: Driver) -> None:
    azure_emulator.fail_phone(US[1])
    result = await gateway.send([provider(azure_emulator)], Message(to=US, text="hi"))
    assert [r.status for r in result.recipients] == [Status.ACCEPTED, Status.REJECTED, Status.ACCEPTED]
    error = result[US[1]].error
    assert error is not None and error.category is Category.RECIPIENT and "Invalid To" in str(error)


async def test_throttling_is_retried_after_retry_after(azure_emulator: AzureEmulator, gateway: Driver) -> None:
    azure_emulator.throttle()
    result = await gateway.send([provider(azure_emulator)], Message(to=US[0], text="hi"))
    assert result.ok and gateway.sleeps == [1.0]


async def test_a_bad_key_fails_over(
    azure_emulator: AzureEmulator, telnyx_emulator: TelnyxEmulator, gateway: Driver
) -> None:
    wrong = base64.b64encode(b"x" * 32).decode()
    providers = {"azure": azure_emulator.settings(access_key=wrong), "telnyx": telnyx_emulator.settings()}
    result = await gateway.send(providers, Message(to=US[0], text="hi"))
    assert result.ok and result[US[0]].provider == "telnyx" and azure_emulator.delivered == []
    first = result.attempts[0].error
    assert first is not None and first.category is Category.AUTH


async def test_server_error_after_delivery_is_unknown_and_not_failed_over(
    azure_emulator: AzureEmulator, telnyx_emulator: TelnyxEmulator, gateway: Driver
) -> None:
    assert azure_emulator.server is not None
    azure_emulator.server.fail_next(status=503, json={"error": {"code": "ServiceUnavailable"}}, after=True)
    providers = {"azure": azure_emulator.settings(), "telnyx": telnyx_emulator.settings()}
    result = await gateway.send(providers, Message(to=US[0], text="hi"))
    assert result[US[0]].status is Status.UNKNOWN
    assert len(azure_emulator.delivered) == 1 and telnyx_emulator.delivered == []


async def test_timeout_after_delivery_is_unknown_and_sent_once(azure_emulator: AzureEmulator, gateway: Driver) -> None:
    assert azure_emulator.server is not None
    azure_emulator.server.fail_next(delay=30.0, after=True)  # cut short when the client hangs up
    result = await gateway.send([provider(azure_emulator, timeout=0.3)], Message(to=US[0], text="hi"))
    assert result[US[0]].status is Status.UNKNOWN
    await await_until(lambda: len(azure_emulator.delivered) >= 1, what="the request to arrive")
    assert len(azure_emulator.delivered) == 1 and len(azure_emulator.server.requests) == 1


async def test_unicode_text_arrives_byte_exact(azure_emulator: AzureEmulator, gateway: Driver) -> None:
    result = await gateway.send([provider(azure_emulator)], Message(to=US[0], text="${c}", params={"c": "ü验🙂"}))
    assert result.ok and azure_emulator.delivered[0]["message"] == "ü验🙂"


async def test_secrets_stay_out_of_errors_reprs_and_logs(
    azure_emulator: AzureEmulator, gateway: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bad = base64.b64encode(b"s3cret-wrong-azure-key-32-bytes!").decode()
    p = provider(azure_emulator, access_key=bad)
    result = await gateway.send([p], Message(to=US[0], text="hi"))
    error = result[US[0]].error
    assert error is not None and error.category is Category.AUTH
    for text in [caplog.text, str(error), repr(error), str(error.to_dict()), repr(p), repr(p.settings), repr(result)]:
        assert bad not in text and ACCESS_KEY not in text


def test_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="access_key"):
        AzureProvider(endpoint="https://c.communication.azure.com", access_key="not base64!", **{"from": "+1800"})
    with pytest.raises(ConfigError, match="endpoint"):
        AzureProvider(access_key=VECTOR_KEY, **{"from": "+18005550100"})


@pytest.mark.parametrize(
    ("status", "category"), [(400, Category.INVALID), (401, Category.AUTH), (429, Category.THROTTLED),
                             (500, Category.UNKNOWN)]
)  # fmt: skip
def test_errors_are_classified(status: int, category: Category) -> None:
    p = AzureProvider(endpoint="https://c.communication.azure.com", access_key=VECTOR_KEY, **{"from": "+18005550100"})
    response = HttpResponse(status, {}, json.dumps({"error": {"code": "C", "message": "m"}}).encode())
    assert p.error(response, response.json()).category is category


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=300))
def test_any_text_survives_the_json_body(text: str) -> None:
    p = AzureProvider(endpoint="https://c.communication.azure.com", access_key=VECTOR_KEY, **{"from": "+18005550100"})
    message = Message(to=US[0], text="${t}", params={"t": text}).normalised()
    assert json.loads(p.build_request(message, message.phones).body)["message"] == text
