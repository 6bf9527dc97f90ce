"""JD Cloud receipts by pull: ``statusReport`` per sent message, ``reply`` per day, into the send log;
no push (a typed "not supported"), and providers without documented receipts named when polled."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import AsyncGateway, DeliveryStatus, Gateway, Message, SmsError, Store
from smsgate._http import HttpResponse
from smsgate.emulators import create, serve
from smsgate.emulators.jdcloud import JdCloudEmulator, expected_signature
from smsgate.emulators.server import Received
from smsgate.providers.jdcloud import JdCloudProvider
from smsgate.receipts import NotSupported, Receipts, parse_push, receipt_parser

PHONES = ["+8613800138000", "+8613800138001"]
MESSAGE = Message(to=PHONES, template="tpl-1", params={"code": "4821"})


def spec(jd: JdCloudEmulator, **overrides: Any) -> dict[str, Any]:
    return {**jd.settings(**overrides), "provider": "jdcloud"}


def deliveries(send_log: Store, message_id: str) -> dict[str, str]:
    (record,) = [r for r in send_log.log_query(message_id=message_id) if r.kind == "message"]
    return dict(record.deliveries)


def test_statuses_and_replies_land_in_the_send_log(send_log: Store) -> None:
    with serve(JdCloudEmulator()) as jd, Gateway({"jd": spec(jd)}, send_log=send_log) as gateway:
        result = gateway.send(MESSAGE)
        jd.report("13800138001", "UNDELIV", "MK:0001")
        jd.reply("13800138000", "TD 退订")
        poll = gateway.poll_reports()
        assert not poll.errors and poll.pending == 0
        assert deliveries(send_log, result.message_id) == {PHONES[0]: "delivered", PHONES[1]: "failed"}
        failed = next(r for r in poll.reports if r.phone == PHONES[1])
        assert failed.status is DeliveryStatus.FAILED and failed.error_code == "MK:0001"
        assert failed.provider_message_id == jd.delivered[0]["sequence"] and failed.message_id == result.message_id
        (inbound,) = poll.inbound
        assert (inbound.sender, inbound.text, inbound.provider) == (PHONES[0], "TD 退订", "jd")
        again = gateway.poll_reports()  # asked again: each report and the day's reply kept once
    assert not again.errors and len(send_log.reports()) == 2 and len(send_log.inbound()) == 1
    assert jd.server is not None
    asked = [r.path.rpartition("/")[2] for r in jd.server.requests]
    assert asked[:4] == ["batchSend", "statusReport", "statusReport", "reply"] and asked[-1] == "reply"


def test_the_queries_are_signed_and_checked_like_a_send(send_log: Store) -> None:
    with serve(JdCloudEmulator()) as jd:
        with Gateway({"jd": spec(jd)}, send_log=send_log) as gateway:
            gateway.send(MESSAGE)
        with Gateway({"jd": spec(jd, secret_access_key="wrong-secret")}, send_log=send_log) as gateway:
            poll = gateway.poll_reports()
    error = poll.errors["jd"]
    assert isinstance(error, SmsError) and error.provider_code == "UNAUTHENTICATED" and "jd" not in poll.cursors
    assert "wrong-secret" not in repr(error) + str(error.to_dict())


def test_the_async_pull(send_log: Store) -> None:
    async def run() -> tuple[str, Any]:
        with serve(JdCloudEmulator()) as jd:
            async with AsyncGateway({"jd": spec(jd)}, send_log=send_log) as gateway:
                result = await gateway.send(MESSAGE)
                jd.reply("13800138001", "hello")
                return result.message_id, await gateway.poll_reports()

    message_id, poll = asyncio.run(run())
    assert len(poll.reports) == 2 and [m.text for m in poll.inbound] == ["hello"]
    assert deliveries(send_log, message_id) == dict.fromkeys(PHONES, "delivered")


def test_a_pull_resumes_where_it_stopped(send_log: Store) -> None:
    jd = JdCloudEmulator()
    with serve(jd), Gateway({"jd": spec(jd)}, send_log=send_log) as gateway:
        first = gateway.send(MESSAGE)
        jd.report("13800138000", "")  # not known yet
        poll = gateway.poll_reports()
        assert poll.pending == 1 and [r.phone for r in poll.reports] == [PHONES[1]]
        cursor = poll.cursors["jd"]
        second = gateway.send(MESSAGE)
        assert jd.server is not None
        jd.server.stop()  # unreachable: the cursor must not move
        failed = gateway.poll_reports()
        assert "jd" in failed.errors and failed.cursors == {}
    jd.report("13800138000")
    with serve(jd), Gateway({"jd": spec(jd)}, send_log=send_log) as gateway:
        resumed = gateway.poll_reports()
    assert resumed.cursors["jd"] >= cursor and not resumed.errors
    assert sorted(r.phone for r in resumed.reports) == sorted([PHONES[0], *PHONES])
    assert deliveries(send_log, first.message_id) == deliveries(send_log, second.message_id)
    assert deliveries(send_log, first.message_id) == dict.fromkeys(PHONES, "delivered")


def test_jdcloud_has_no_push() -> None:
    with pytest.raises(NotSupported, match="use poll_reports") as info:
        parse_push("jdcloud", "POST", "https://example.com/receipts/jdcloud", {}, b"[]")
    assert info.value.what == "push"


def test_receipts_for_a_gateway_leave_out_what_does_not_push(send_log: Store) -> None:
    with serve(JdCloudEmulator()) as jd, serve(create("twilio")) as tw:
        providers = {"jd": spec(jd), "tw": {**tw.settings(), "provider": "twilio"}}
        with Gateway(providers, send_log=send_log) as gateway:
            assert sorted(Receipts.for_gateway(gateway).parsers) == ["tw"]
            handled = Receipts.for_gateway(gateway, {"jd": {}}).handle("jd", "POST", "https://x/jd", {}, b"[]")
    assert handled.reply.status == 404 and isinstance(handled.error, NotSupported)


@pytest.mark.parametrize("name", ["ctyun", "ronglian"])
def test_naming_a_provider_without_a_query_api_is_a_typed_error(name: str, send_log: Store) -> None:
    with serve(create(name)) as emulator, Gateway({name: emulator.settings()}, send_log=send_log) as gateway:
        assert gateway.poll_reports().reports == []  # not named: left out
        with pytest.raises(NotSupported, match=f"{name} cannot be polled") as info:
            gateway.poll_reports([name])
    assert info.value.what == "pull"


ROW = st.fixed_dictionaries(
    {"phoneNum": st.text(max_size=15), "sequenceNumber": st.text(max_size=20)},
    optional={
        "status": st.one_of(st.none(), st.text(max_size=10), st.integers()),
        "code": st.one_of(st.none(), st.text(max_size=10), st.integers()),
        "sendTime": st.text(max_size=20),
        "reportTime": st.text(max_size=20),
        "splitNum": st.one_of(st.none(), st.integers(), st.text(max_size=3)),
        "content": st.text(max_size=20),
        "dataTime": st.text(max_size=20),
    },
)


@given(st.lists(ROW, max_size=5), st.booleans())
def test_any_rows_parse_or_are_typed(data: list[dict[str, object]], replies: bool) -> None:
    provider = JdCloudProvider(access_key_id="k", secret_access_key="s", app_id="a")
    parser = receipt_parser("jdcloud")
    action = "reply" if replies else "statusReport"
    request = provider.api_request(action, {}, a=action)
    body = json.dumps({"requestId": "r", "result": {"status": True, "code": "200", "data": data}}).encode()
    try:
        push = parser.parse_pull(provider, request, HttpResponse(200, {}, body), 0.0)
    except SmsError:
        return
    if replies:
        assert len(push.inbound) == len(data) and len({m.provider_message_id for m in push.inbound}) <= len(data)
    else:
        assert len(push.reports) + push.pending == len(data)
        assert all(r.status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED) for r in push.reports)


@given(
    st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40),
    st.sampled_from(["cn-north-1", "cn-east-2"]),
    st.integers(0, 2**31),
)
def test_any_query_is_signed_and_verifies(sequence: str, region: str, when: int) -> None:
    p = JdCloudProvider(access_key_id="k", secret_access_key="s", region=region, clock=lambda: float(when))
    request = p.api_request("statusReport", {"sequenceNumber": sequence, "phoneList": ["13800138000"]})
    assert json.loads(request.body) == {"regionId": region, "sequenceNumber": sequence, "phoneList": ["13800138000"]}
    received = Received("POST", f"/v1/regions/{region}/statusReport", [], request.headers, request.body)
    signed = ["content-type", "host", "x-jdcloud-content-sha256", "x-jdcloud-date", "x-jdcloud-nonce"]
    assert request.headers["Authorization"].endswith(expected_signature("s", received, signed, region))
