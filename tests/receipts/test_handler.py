"""Receipts: hooks, STOP handling, replays, and the answers given when something goes wrong."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from smsgate import ConfigError, DeliveryReport, Gateway, InboundMessage, MemoryStore, NotAuthentic
from smsgate.emulators.receipts import aliyun_report, aliyun_up, twilio_post, twilio_status
from smsgate.receipts import Receipts, is_stop

URL = "https://example.com/receipts/aliyun/tok3n"
JSON = {"content-type": "application/json"}


def _aliyun(rows: list[dict[str, Any]]) -> bytes:
    return json.dumps(rows, ensure_ascii=False).encode()


@pytest.mark.parametrize("text", ["STOP", " stop ", "Stop!", "退订", "ＳＴＯＰ", "unsubscribe.", "td"])
def test_stop_words(text: str) -> None:
    assert is_stop(text)


@pytest.mark.parametrize("text", ["", "stop sending me ads", "STOPP", "hello"])
def test_not_stop_words(text: str) -> None:
    assert not is_stop(text)


def test_hooks_see_reports_and_messages_and_stop_blocklists_when_asked() -> None:
    reports: list[DeliveryReport] = []
    inbound: list[InboundMessage] = []
    store = MemoryStore()
    receipts = Receipts(
        {"aliyun": {"path_token": "tok3n"}},
        store=store,
        on_delivery=[reports.append],
        on_inbound=[inbound.append],
        blocklist=True,
    )
    body = _aliyun(
        [aliyun_report("13800138000", "B1"), aliyun_up("13900139000", "退订"), aliyun_up("13700137000", "hi")]
    )
    handled = receipts.handle("aliyun", "POST", URL, JSON, body)
    assert handled.reply.status == 200 and handled.error is None
    assert [r.phone for r in reports] == ["+8613800138000"]
    assert [m.text for m in inbound] == ["退订", "hi"]
    assert receipts.blocklist is not None
    assert "+8613900139000" in receipts.blocklist and "+8613700137000" not in receipts.blocklist


def test_stop_is_only_recorded_unless_the_operator_turns_the_blocklist_on() -> None:
    receipts = Receipts({"aliyun": {"path_token": "tok3n"}}, stop_keywords=["CANCEL"])
    receipts.handle("aliyun", "POST", URL, JSON, _aliyun([aliyun_up("13900139000", "CANCEL")]))
    assert receipts.blocklist is None and receipts.store.get("block:+8613900139000") is None


def test_custom_stop_keywords() -> None:
    receipts = Receipts({"aliyun": {"path_token": "tok3n"}}, stop_keywords=["CANCEL"], blocklist=True)
    receipts.handle(
        "aliyun", "POST", URL, JSON, _aliyun([aliyun_up("13900139000", "cancel"), aliyun_up("13800138000", "STOP")])
    )
    assert receipts.blocklist is not None
    assert "+8613900139000" in receipts.blocklist and "+8613800138000" not in receipts.blocklist


def test_a_failing_hook_does_not_lose_the_push(caplog: pytest.LogCaptureFixture) -> None:
    def broken(report: DeliveryReport) -> None:
        raise RuntimeError("hook bug")

    receipts = Receipts({"aliyun": {"path_token": "tok3n"}}, on_delivery=[broken])
    handled = receipts.handle("aliyun", "POST", URL, JSON, _aliyun([aliyun_report("13800138000", "B1")]))
    assert handled.reply.status == 200 and "hook bug" in caplog.text


def test_refusals_and_unreadable_bodies_get_4xx_answers_never_exceptions() -> None:
    receipts = Receipts({"aliyun": {"path_token": "tok3n"}})
    refused = receipts.handle("aliyun", "POST", URL.replace("tok3n", "guess"), JSON, b"[]")
    assert refused.reply.status == 403 and isinstance(refused.error, NotAuthentic)
    unreadable = receipts.handle("aliyun", "POST", URL, JSON, b"{")
    assert unreadable.reply.status == 400 and unreadable.error is not None and unreadable.error.code == 46001
    unknown = receipts.handle("nope", "POST", URL, JSON, b"[]")
    assert unknown.reply.status == 503 and isinstance(unknown.error, ConfigError)


class BrokenLog(MemoryStore):
    def record_report(self, report: DeliveryReport) -> bool:
        raise OSError("disk full")

    async def arecord_report(self, report: DeliveryReport) -> bool:
        raise OSError("disk full")


def test_a_store_failure_asks_the_provider_to_push_again_and_forgets_the_replay_mark() -> None:
    receipts = Receipts({"twilio": {"auth_token": "tok"}}, send_log=BrokenLog())
    url = "https://example.com/receipts/twilio"
    out = twilio_post(url, "tok", twilio_status("AC1", "SM1", "+15558675310"))
    first = receipts.handle("twilio", "POST", url, out.headers, out.body)
    assert first.reply.status == 503 and first.push is not None and len(first.push.reports) == 1
    receipts.send_log = None  # the store is back
    again = receipts.handle("twilio", "POST", url, out.headers, out.body)
    assert again.reply.status == 200  # not refused as a replay: it was never recorded
    assert receipts.handle("twilio", "POST", url, out.headers, out.body).reply.status == 403  # now it is one


def test_the_async_twin_refuses_replays_too() -> None:
    seen: list[DeliveryReport] = []
    receipts = Receipts({"twilio": {"auth_token": "tok"}}, on_delivery=[seen.append])
    url = "https://example.com/receipts/twilio"
    out = twilio_post(url, "tok", twilio_status("AC1", "SM1", "+15558675310"))

    async def twice() -> list[int]:
        return [(await receipts.ahandle("twilio", "POST", url, out.headers, out.body)).reply.status for _ in range(2)]

    assert asyncio.run(twice()) == [200, 403] and len(seen) == 1


def test_for_gateway_takes_credentials_from_the_providers() -> None:
    with Gateway(
        {
            "tw": {"provider": "twilio", "account_sid": "AC1", "auth_token": "tw-secret-9", "from": "+15005550006"},
            "ali": {"provider": "aliyun", "access_key_id": "k", "access_key_secret": "s"},
            "console": {},
        }
    ) as gateway:
        receipts = Receipts.for_gateway(gateway)
        assert list(receipts.parsers) == ["tw"]  # aliyun needs a path token; console has no receipts
        receipts = Receipts.for_gateway(gateway, {"ali": {"path_token": "t"}})
    assert sorted(receipts.parsers) == ["ali", "tw"]
    assert receipts.parsers["tw"].settings.auth_token.get_secret_value() == "tw-secret-9"  # type: ignore[attr-defined]
    assert "tw-secret-9" not in repr(receipts.parsers["tw"].settings)
