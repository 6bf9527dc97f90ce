"""Bandwidth over real HTTP against its emulator, through both gateways."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Category, HttpResponse, Message, Status
from smsgate.providers.bandwidth import BandwidthProvider
from tests.fakes.bandwidth import PASSWORD, BandwidthEmulator
from tests.fakes.gateways import Driver, doc_examples
from tests.fakes.telnyx import TelnyxEmulator
from tests.waits import await_until

US = ["+14155550101", "+14155550102", "+14155550103"]
SETTINGS = {"account_id": "1", "username": "u", "password": "p", "application_id": "a", "from": "+19195550100"}


def provider(emulator: BandwidthEmulator, **overrides: Any) -> BandwidthProvider:
    return BandwidthProvider(emulator.settings(**overrides))


async def test_one_request_per_number(bandwidth_emulator: BandwidthEmulator, gateway: Driver) -> None:
    message = Message(to=US, text="Your code is ${code}", params={"code": "4711"}, out_id="order-3")
    result = await gateway.send([provider(bandwidth_emulator)], message)
    assert result.ok and [r.phone.e164 for r in result.recipients] == US
    sent = {d["to"][0]: d for d in bandwidth_emulator.delivered}
    assert set(sent) == set(US) and {d["text"] for d in sent.values()} == {"Your code is 4711"}
    assert {d["tag"] for d in sent.values()} == {"order-3"}
    assert {r.phone.e164: r.message_id for r in result.recipients} == {k: v["id"] for k, v in sent.items()}


async def test_an_invalid_destination_is_refused_alone(bandwidth_emulator: BandwidthEmulator, gateway: Driver) -> None:
    bandwidth_emulator.fail_phone(US[1])
    result = await gateway.send([provider(bandwidth_emulator)], Message(to=US, text="hi"))
    assert [r.status for r in result.recipients] == [Status.ACCEPTED, Status.REJECTED, Status.ACCEPTED]
    error = result[US[1]].error
    assert error is not None and error.category is Category.INVALID and "to:" in str(error)


async def test_a_full_queue_is_retried(bandwidth_emulator: BandwidthEmulator, gateway: Driver) -> None:
    bandwidth_emulator.throttle()
    result = await gateway.send([provider(bandwidth_emulator)], Message(to=US[0], text="hi"))
    assert result.ok and [a.status for a in result.attempts] == [Status.REJECTED, Status.ACCEPTED]


@pytest.mark.parametrize("overrides", [{"password": "wrong"}, {"account_id": "1234"}], ids=["password", "account"])
async def test_bad_credentials_fail_over(
    bandwidth_emulator: BandwidthEmulator, telnyx_emulator: TelnyxEmulator, gateway: Driver, overrides: dict[str, str]
) -> None:
    providers = {"bandwidth": bandwidth_emulator.settings(**overrides), "telnyx": telnyx_emulator.settings()}
    result = await gateway.send(providers, Message(to=US[0], text="hi"))
    assert result.ok and result[US[0]].provider == "telnyx" and bandwidth_emulator.delivered == []
    first = result.attempts[0].error
    assert first is not None and first.category is Category.AUTH


async def test_server_error_after_delivery_is_unknown_and_not_failed_over(
    bandwidth_emulator: BandwidthEmulator, telnyx_emulator: TelnyxEmulator, gateway: Driver
) -> None:
    assert bandwidth_emulator.server is not None
    bandwidth_emulator.server.fail_next(status=500, json={"type": "internal", "description": "x"}, after=True)
    providers = {"bandwidth": bandwidth_emulator.settings(), "telnyx": telnyx_emulator.settings()}
    result = await gateway.send(providers, Message(to=US[0], text="hi"))
    assert result[US[0]].status is Status.UNKNOWN
    assert len(bandwidth_emulator.delivered) == 1 and telnyx_emulator.delivered == []


async def test_timeout_after_delivery_is_unknown_and_sent_once(
    bandwidth_emulator: BandwidthEmulator, gateway: Driver
) -> None:
    assert bandwidth_emulator.server is not None
    bandwidth_emulator.server.fail_next(delay=30.0, after=True)  # cut short when the client hangs up
    result = await gateway.send([provider(bandwidth_emulator, timeout=0.3)], Message(to=US[0], text="hi"))
    assert result[US[0]].status is Status.UNKNOWN
    await await_until(lambda: len(bandwidth_emulator.delivered) >= 1, what="the request to arrive")
    assert len(bandwidth_emulator.delivered) == 1 and len(bandwidth_emulator.server.requests) == 1


async def test_unicode_text_arrives_byte_exact(bandwidth_emulator: BandwidthEmulator, gateway: Driver) -> None:
    result = await gateway.send([provider(bandwidth_emulator)], Message(to=US[0], text="${c}", params={"c": "Ω≈ç√ 验"}))
    assert result.ok and bandwidth_emulator.delivered[0]["text"] == "Ω≈ç√ 验"


async def test_secrets_stay_out_of_errors_reprs_and_logs(
    bandwidth_emulator: BandwidthEmulator, gateway: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bad = "s3cret-wrong-bandwidth-password"
    p = provider(bandwidth_emulator, password=bad)
    result = await gateway.send([p], Message(to=US[0], text="hi"))
    error = result[US[0]].error
    assert error is not None and error.category is Category.AUTH
    basic = base64.b64encode(f"api-user:{bad}".encode()).decode()
    for text in [caplog.text, str(error), repr(error), str(error.to_dict()), repr(p), repr(p.settings), repr(result)]:
        assert bad not in text and basic not in text and PASSWORD not in text


@pytest.mark.parametrize(
    ("status", "kind", "category", "retryable"),
    [
        (400, "request-validation", Category.INVALID, False),
        (401, "unauthorized", Category.AUTH, False),
        (403, "forbidden", Category.AUTH, False),
        (429, "max-message-queue-size-exceeded", Category.THROTTLED, True),
        (429, "too-many-requests", Category.THROTTLED, True),
        (502, "bad-gateway", Category.UNKNOWN, False),
    ],
)
def test_errors_are_classified(status: int, kind: str, category: Category, retryable: bool) -> None:
    p = BandwidthProvider(SETTINGS)
    response = HttpResponse(status, {}, json.dumps({"type": kind, "description": "words"}).encode())
    error = p.error(response, response.json())
    assert (error.category, error.retryable, error.provider_code) == (category, retryable, kind)


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=300))
def test_any_text_survives_the_json_body(text: str) -> None:
    p = BandwidthProvider(SETTINGS)
    message = Message(to=US[0], text="${t}", params={"t": text}).normalised()
    body = json.loads(p.build_request(message, message.phones).body)
    assert body["text"] == text and body["to"] == [US[0]]


def test_docs_example_runs(bandwidth_emulator: BandwidthEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANDWIDTH_ENDPOINT", bandwidth_emulator.endpoint)
    for name, value in (
        ("ACCOUNT_ID", bandwidth_emulator.account_id),
        ("USERNAME", bandwidth_emulator.username),
        ("PASSWORD", bandwidth_emulator.password),
        ("APPLICATION_ID", bandwidth_emulator.application_id),
    ):
        monkeypatch.setenv(f"BANDWIDTH_{name}", value)  # fmt: skip
    (example,) = doc_examples("providers/bandwidth.md")
    exec(example, {})
    assert [d["text"] for d in bandwidth_emulator.delivered] == ["Your code is 4711"] * 2
