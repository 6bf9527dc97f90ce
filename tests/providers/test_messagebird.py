"""MessageBird (classic) over real HTTP against its emulator, through both gateways."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Category, HttpResponse, Message, Status
from smsgate.providers.messagebird import MessageBirdProvider
from tests.fakes.gateways import Driver, doc_examples
from tests.fakes.messagebird import ACCESS_KEY, MessageBirdEmulator
from tests.fakes.telnyx import TelnyxEmulator
from tests.waits import await_until

US = ["+14155550101", "+14155550102", "+14155550103"]


def provider(emulator: MessageBirdEmulator, **overrides: Any) -> MessageBirdProvider:
    return MessageBirdProvider(emulator.settings(**overrides))


async def test_one_request_for_many_numbers(messagebird_emulator: MessageBirdEmulator, gateway: Driver) -> None:
    p = provider(messagebird_emulator, report_url="https://example.com/mb")
    message = Message(to=US, text="Your code is ${code}", params={"code": "4711"}, out_id="ref-1")
    result = await gateway.send([p], message)
    assert result.ok and [r.phone.e164 for r in result.recipients] == US
    assert messagebird_emulator.server is not None and len(messagebird_emulator.server.requests) == 1
    body = json.loads(messagebird_emulator.server.requests[0].body)
    assert body["recipients"] == [p[1:] for p in US] and body["reference"] == "ref-1"
    assert body["reportUrl"] == "https://example.com/mb" and body["originator"] == "Acme"
    (ident,) = {d["id"] for d in messagebird_emulator.delivered}
    assert {r.message_id for r in result.recipients} == {ident}


async def test_splits_at_50_numbers(messagebird_emulator: MessageBirdEmulator, gateway: Driver) -> None:
    phones = [f"+1415556{n:04d}" for n in range(51)]
    result = await gateway.send([provider(messagebird_emulator)], Message(to=phones, text="hi"))
    assert result.ok and len(messagebird_emulator.delivered) == 51
    assert messagebird_emulator.server is not None
    assert sorted(len(json.loads(r.body)["recipients"]) for r in messagebird_emulator.server.requests) == [1, 50]


async def test_an_invalid_recipient_refuses_its_request(
    messagebird_emulator: MessageBirdEmulator, gateway: Driver
) -> None:
    messagebird_emulator.fail_phone(US[0])
    result = await gateway.send([provider(messagebird_emulator)], Message(to=US, text="hi"))
    assert {r.status for r in result.recipients} == {Status.REJECTED}
    error = result[US[1]].error
    assert error is not None and error.category is Category.INVALID and error.provider_code == "10"


@pytest.mark.parametrize("fault", ["key", "balance"])
async def test_a_bad_key_or_no_balance_fails_over(
    messagebird_emulator: MessageBirdEmulator, telnyx_emulator: TelnyxEmulator, gateway: Driver, fault: str
) -> None:
    settings = (
        messagebird_emulator.settings(access_key="live_wrong") if fault == "key" else messagebird_emulator.settings()
    )
    if fault == "balance":
        messagebird_emulator.no_balance()
    result = await gateway.send(
        {"messagebird": settings, "telnyx": telnyx_emulator.settings()}, Message(to=US[0], text="hi")
    )
    assert result.ok and result[US[0]].provider == "telnyx" and messagebird_emulator.delivered == []
    first = result.attempts[0].error
    assert first is not None and first.category is (Category.AUTH if fault == "key" else Category.QUOTA)


async def test_throttling_is_retried(messagebird_emulator: MessageBirdEmulator, gateway: Driver) -> None:
    messagebird_emulator.throttle()
    result = await gateway.send([provider(messagebird_emulator)], Message(to=US[0], text="hi"))
    assert result.ok and [a.status for a in result.attempts] == [Status.REJECTED, Status.ACCEPTED]


async def test_server_error_after_delivery_is_unknown_and_not_failed_over(
    messagebird_emulator: MessageBirdEmulator, telnyx_emulator: TelnyxEmulator, gateway: Driver
) -> None:
    assert messagebird_emulator.server is not None
    messagebird_emulator.server.fail_next(status=500, json={"errors": [{"code": 99}]}, after=True)
    providers = {"messagebird": messagebird_emulator.settings(), "telnyx": telnyx_emulator.settings()}
    result = await gateway.send(providers, Message(to=US[0], text="hi"))
    assert result[US[0]].status is Status.UNKNOWN
    assert len(messagebird_emulator.delivered) == 1 and telnyx_emulator.delivered == []


async def test_timeout_after_delivery_is_unknown_and_sent_once(
    messagebird_emulator: MessageBirdEmulator, gateway: Driver
) -> None:
    assert messagebird_emulator.server is not None
    messagebird_emulator.server.fail_next(delay=30.0, after=True)  # cut short when the client hangs up
    result = await gateway.send([provider(messagebird_emulator, timeout=0.3)], Message(to=US[0], text="hi"))
    assert result[US[0]].status is Status.UNKNOWN
    await await_until(lambda: len(messagebird_emulator.delivered) >= 1, what="the request to arrive")
    assert len(messagebird_emulator.delivered) == 1 and len(messagebird_emulator.server.requests) == 1


async def test_unicode_text_arrives_byte_exact(messagebird_emulator: MessageBirdEmulator, gateway: Driver) -> None:
    message = Message(to=US[0], text="${c}", params={"c": "Grüße 🙂 验证码"})
    result = await gateway.send([provider(messagebird_emulator)], message)
    assert result.ok and messagebird_emulator.delivered[0]["body"] == "Grüße 🙂 验证码"


async def test_secrets_stay_out_of_errors_reprs_and_logs(
    messagebird_emulator: MessageBirdEmulator, gateway: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bad = "live_s3cret-wrong-messagebird"
    p = provider(messagebird_emulator, access_key=bad)
    result = await gateway.send([p], Message(to=US[0], text="hi"))
    error = result[US[0]].error
    assert error is not None and error.category is Category.AUTH
    for text in [caplog.text, str(error), repr(error), str(error.to_dict()), repr(p), repr(p.settings), repr(result)]:
        assert bad not in text and ACCESS_KEY not in text


@pytest.mark.parametrize(
    ("status", "code", "category"),
    [(401, 2, Category.AUTH), (422, 9, Category.INVALID), (422, 10, Category.INVALID), (402, 25, Category.QUOTA),
     (200, 99, Category.UNKNOWN), (429, 21, Category.THROTTLED), (429, None, Category.THROTTLED),
     (500, 99, Category.UNKNOWN)],
)  # fmt: skip
def test_errors_are_classified(status: int, code: int | None, category: Category) -> None:
    p = MessageBirdProvider(access_key="k", originator="Acme")
    response = HttpResponse(status, {}, json.dumps({"errors": [{"code": code, "description": "d"}]}).encode())
    assert p.error(response, response.json()).category is category


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=300))
def test_any_text_survives_the_json_body(text: str) -> None:
    p = MessageBirdProvider(access_key="k", originator="Acme")
    message = Message(to=US[0], text="${t}", params={"t": text}).normalised()
    assert json.loads(p.build_request(message, message.phones).body)["body"] == text


def test_docs_example_runs(messagebird_emulator: MessageBirdEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESSAGEBIRD_ENDPOINT", messagebird_emulator.endpoint)
    monkeypatch.setenv("MESSAGEBIRD_ACCESS_KEY", messagebird_emulator.access_key)
    (example,) = doc_examples("providers/messagebird.md")
    exec(example, {})
    assert [d["body"] for d in messagebird_emulator.delivered] == ["Your code is 4711"] * 2
