"""Infobip over real HTTP against its emulator, through both gateways."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Category, ConfigError, HttpResponse, Message, Status
from smsgate.providers.infobip import InfobipProvider
from tests.fakes.gateways import Driver, doc_examples
from tests.fakes.infobip import API_KEY, InfobipEmulator
from tests.fakes.telnyx import TelnyxEmulator
from tests.waits import await_until

US = ["+14155550101", "+14155550102", "+14155550103"]


def provider(emulator: InfobipEmulator, **overrides: Any) -> InfobipProvider:
    return InfobipProvider(emulator.settings(**overrides))


async def test_one_request_carries_every_text(infobip_emulator: InfobipEmulator, gateway: Driver) -> None:
    p = provider(infobip_emulator, notify_url="https://example.com/infobip/t")
    message = Message(to=US, text="code ${code}", params={"code": "1"}, recipient_params={US[1]: {"code": "2"}})
    result = await gateway.send([p], message)
    assert result.ok and [r.phone.e164 for r in result.recipients] == US
    assert infobip_emulator.server is not None and len(infobip_emulator.server.requests) == 1
    body = json.loads(infobip_emulator.server.requests[0].body)
    assert [(e["content"]["text"], [d["to"] for d in e["destinations"]]) for e in body["messages"]] == [
        ("code 1", ["14155550101", "14155550103"]),
        ("code 2", ["14155550102"]),
    ]
    assert body["messages"][0]["webhooks"]["delivery"]["url"] == "https://example.com/infobip/t"
    ids = {"+" + d["to"]: d["id"] for d in infobip_emulator.delivered}
    assert {r.phone.e164: r.message_id for r in result.recipients} == ids


async def test_splits_at_1000_numbers(infobip_emulator: InfobipEmulator, gateway: Driver) -> None:
    phones = [f"+1415556{n:04d}" for n in range(1001)]
    result = await gateway.send([provider(infobip_emulator)], Message(to=phones, text="hi"))
    assert result.ok and len(infobip_emulator.delivered) == 1001
    assert infobip_emulator.server is not None and len(infobip_emulator.server.requests) == 2


@pytest.mark.parametrize(
    ("name", "category"),
    [("REJECTED_DESTINATION", Category.RECIPIENT), ("REJECTED_NOT_ENOUGH_CREDITS", Category.QUOTA)],
)
async def test_a_refused_number_is_refused_alone(
    infobip_emulator: InfobipEmulator, gateway: Driver, name: str, category: Category
) -> None:
    infobip_emulator.fail_phone(US[1], name)
    result = await gateway.send([provider(infobip_emulator)], Message(to=US, text="hi"))
    assert [r.status for r in result.recipients] == [Status.ACCEPTED, Status.REJECTED, Status.ACCEPTED]
    error = result[US[1]].error
    assert error is not None and error.category is category and error.provider_code == name
    assert sorted("+" + d["to"] for d in infobip_emulator.delivered) == [US[0], US[2]]


async def test_no_credit_for_one_number_fails_it_over_alone(
    infobip_emulator: InfobipEmulator, telnyx_emulator: TelnyxEmulator, gateway: Driver
) -> None:
    infobip_emulator.fail_phone(US[1], "REJECTED_NOT_ENOUGH_CREDITS")
    providers = {"infobip": infobip_emulator.settings(), "telnyx": telnyx_emulator.settings()}
    result = await gateway.send(providers, Message(to=US, text="hi"))
    assert result.ok and [r.provider for r in result.recipients] == ["infobip", "telnyx", "infobip"]
    assert [d["to"] for d in telnyx_emulator.delivered] == [US[1]]


async def test_throttling_is_retried(infobip_emulator: InfobipEmulator, gateway: Driver) -> None:
    infobip_emulator.throttle()
    result = await gateway.send([provider(infobip_emulator)], Message(to=US[0], text="hi"))
    assert result.ok and [a.status for a in result.attempts] == [Status.REJECTED, Status.ACCEPTED]


async def test_a_bad_key_fails_over(
    infobip_emulator: InfobipEmulator, telnyx_emulator: TelnyxEmulator, gateway: Driver
) -> None:
    providers = {"infobip": infobip_emulator.settings(api_key="wrong"), "telnyx": telnyx_emulator.settings()}
    result = await gateway.send(providers, Message(to=US[0], text="hi"))
    assert result.ok and result[US[0]].provider == "telnyx"
    first = result.attempts[0].error
    assert first is not None and first.category is Category.AUTH and first.provider_code == "E401"


async def test_server_error_after_delivery_is_unknown_and_not_failed_over(
    infobip_emulator: InfobipEmulator, telnyx_emulator: TelnyxEmulator, gateway: Driver
) -> None:
    assert infobip_emulator.server is not None
    infobip_emulator.server.fail_next(status=500, json={"errorCode": "E500", "description": "x"}, after=True)
    providers = {"infobip": infobip_emulator.settings(), "telnyx": telnyx_emulator.settings()}
    result = await gateway.send(providers, Message(to=US[:2], text="hi"))
    assert {r.status for r in result.recipients} == {Status.UNKNOWN}
    assert len(infobip_emulator.delivered) == 2 and telnyx_emulator.delivered == []


async def test_timeout_after_delivery_is_unknown_and_sent_once(
    infobip_emulator: InfobipEmulator, gateway: Driver
) -> None:
    assert infobip_emulator.server is not None
    infobip_emulator.server.fail_next(delay=30.0, after=True)  # cut short when the client hangs up
    result = await gateway.send([provider(infobip_emulator, timeout=0.3)], Message(to=US[0], text="hi"))
    assert result[US[0]].status is Status.UNKNOWN
    await await_until(lambda: len(infobip_emulator.delivered) >= 1, what="the request to arrive")
    assert len(infobip_emulator.delivered) == 1 and len(infobip_emulator.server.requests) == 1


async def test_unicode_text_arrives_byte_exact(infobip_emulator: InfobipEmulator, gateway: Driver) -> None:
    result = await gateway.send([provider(infobip_emulator)], Message(to=US[0], text="${c}", params={"c": "ñ验🙂"}))
    assert result.ok and infobip_emulator.delivered[0]["text"] == "ñ验🙂"


async def test_secrets_stay_out_of_errors_reprs_and_logs(
    infobip_emulator: InfobipEmulator, gateway: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bad = "s3cret-wrong-infobip-key"
    p = provider(infobip_emulator, api_key=bad)
    result = await gateway.send([p], Message(to=US[0], text="hi"))
    error = result[US[0]].error
    assert error is not None and error.category is Category.AUTH
    for text in [caplog.text, str(error), repr(error), str(error.to_dict()), repr(p), repr(p.settings), repr(result)]:
        assert bad not in text and API_KEY not in text


def test_an_account_base_url_is_required() -> None:
    with pytest.raises(ConfigError, match="endpoint"):
        InfobipProvider(api_key="k", sender="Acme")


def test_a_reply_missing_a_number_is_unknown_for_it() -> None:
    p = InfobipProvider(api_key="k", sender="Acme", endpoint="xyz.api.infobip.com")
    message = Message(to=US[:2], text="hi").normalised()
    request = p.build_request(message, message.phones)
    row = {"messageId": "m1", "destination": "14155550101", "status": {"groupId": 1, "name": "PENDING_ACCEPTED"}}
    rows = p.parse(request, HttpResponse(200, {}, json.dumps({"bulkId": "b", "messages": [row]}).encode()))
    assert [r.status for r in rows] == [Status.ACCEPTED, Status.UNKNOWN]


@pytest.mark.parametrize(
    ("status", "body", "category", "code"),
    [
        (400, {"errorCode": "E400", "description": "bad"}, Category.INVALID, "E400"),
        (401, {"requestError": {"serviceException": {"messageId": "UNAUTHORIZED", "text": "x"}}}, Category.AUTH,
         "UNAUTHORIZED"),
        (429, {"errorCode": "E429", "description": "slow down"}, Category.THROTTLED, "E429"),
        (503, {"errorCode": "E503", "description": "down"}, Category.UNKNOWN, "E503"),
    ],
)  # fmt: skip
def test_errors_are_classified(status: int, body: dict[str, Any], category: Category, code: str) -> None:
    p = InfobipProvider(api_key="k", sender="Acme", endpoint="xyz.api.infobip.com")
    response = HttpResponse(status, {}, json.dumps(body).encode())
    error = p.error(response, response.json())
    assert (error.category, error.provider_code) == (category, code)


@given(st.lists(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40), min_size=3, max_size=3))
def test_any_texts_survive_the_json_body(texts: list[str]) -> None:
    p = InfobipProvider(api_key="k", sender="Acme", endpoint="xyz.api.infobip.com")
    message = Message(to=US, text="${t}", params={"t": texts[0]}, recipient_params={US[1]: {"t": texts[1]},
                      US[2]: {"t": texts[2]}}).normalised()  # fmt: skip
    body = json.loads(p.build_request(message, message.phones).body)
    got = {d["to"]: e["content"]["text"] for e in body["messages"] for d in e["destinations"]}
    assert got == {p.digits: t for p, t in zip(message.phones, texts, strict=True)}


def test_docs_example_runs(infobip_emulator: InfobipEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFOBIP_API_KEY", infobip_emulator.api_key)
    monkeypatch.setenv("INFOBIP_BASE_URL", infobip_emulator.endpoint)
    (example,) = doc_examples("providers/infobip.md")
    exec(example, {})
    assert [d["text"] for d in infobip_emulator.delivered] == ["Your code is 4711"] * 2
