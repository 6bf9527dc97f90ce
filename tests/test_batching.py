"""Grouping in ``send_many``: requests shared up to each provider's limits, one answer per message."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate import AsyncGateway, Gateway, InvalidPhone, Message, PhoneLimits, PolicyRefused, Status
from smsgate._models import RecipientResult
from smsgate._phone import PhoneNumber
from smsgate.providers.base import LocalProvider
from smsgate.stores.memory import MemoryStore
from tests.fakes.aliyun import AliyunFake
from tests.waits import within_one_window

TEMPLATE = "SMS_154950909"


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def phone(n: int) -> str:
    return f"1380013{n:04d}"


async def collect(kind: str, gateway_options: dict[str, Any], providers: Any, source: Any, **kw: Any) -> list[Any]:
    """Every ``Sent`` of ``send_many(source)`` through a fresh gateway of ``kind``."""
    kw.setdefault("linger", 60.0)  # groups split only by their limits, never by a loaded machine's pauses
    if kind == "sync":

        def run() -> list[Any]:
            with Gateway(providers, **gateway_options) as gateway:
                return list(gateway.send_many(source, **kw))

        return await asyncio.to_thread(run)
    async with AsyncGateway(providers, **gateway_options) as gateway:
        return [sent async for sent in gateway.send_many(source, **kw)]


def requests_of(fake: AliyunFake) -> list[tuple[str, int]]:
    """(action, numbers) of each accepted request, in the order the fake took them."""
    by_request: dict[str, list[str]] = {}
    for delivery in fake.delivered:
        by_request.setdefault(delivery.biz_id, []).append(delivery.action)
    return [(actions[0], len(actions)) for actions in by_request.values()]


async def test_equal_params_share_sendsms_requests_of_1000(kind: str, aliyun_server: AliyunFake) -> None:
    source = (Message(phone(n), template=TEMPLATE, params={"code": "1234"}) for n in range(2500))
    sent = await collect(kind, {}, {"aliyun": aliyun_server.settings()}, source)
    assert sorted(n for _, n in requests_of(aliyun_server)) == [500, 1000, 1000]
    assert {action for action, _ in requests_of(aliyun_server)} == {"SendSms"}
    assert len(sent) == 2500 and all(s.ok for s in sent)
    for s in sent:  # each message answered with its own row and its own share of the attempt
        (row,) = s.result.recipients
        assert row.phone.national_number == s.message.to[0] and row.message_id
        (attempt,) = s.result.attempts
        assert attempt.phones == (row.phone.e164,) and attempt.status is Status.ACCEPTED
    assert Counter(aliyun_server.phones()) == Counter(phone(n) for n in range(2500))


async def test_different_params_go_as_sendbatchsms_of_100(kind: str, aliyun_server: AliyunFake) -> None:
    source = (Message(phone(n), template=TEMPLATE, params={"code": f"{n:04d}"}) for n in range(250))
    sent = await collect(kind, {}, {"aliyun": aliyun_server.settings()}, source)
    assert sorted(requests_of(aliyun_server)) == [("SendBatchSms", 50), ("SendBatchSms", 100), ("SendBatchSms", 100)]
    assert sorted(d.params["code"] for d in aliyun_server.delivered) == [f"{n:04d}" for n in range(250)]
    assert {d.phone: d.params["code"] for d in aliyun_server.delivered} == {phone(n): f"{n:04d}" for n in range(250)}
    assert all(s.ok and len(s.result.recipients) == 1 for s in sent)


async def test_a_group_never_holds_a_phone_twice(kind: str, aliyun_server: AliyunFake) -> None:
    source = [Message([phone(1), phone(2)], template=TEMPLATE), Message(phone(1), template=TEMPLATE)]
    sent = await collect(kind, {}, {"aliyun": aliyun_server.settings()}, source)
    assert sorted(n for _, n in requests_of(aliyun_server)) == [1, 2]
    assert Counter(aliyun_server.phones()) == {phone(1): 2, phone(2): 1}
    assert sorted(len(s.result.recipients) for s in sent) == [1, 2]


async def test_a_bad_number_is_refused_alone(kind: str, aliyun_server: AliyunFake) -> None:
    source = [Message(phone(n) if n != 4 else "12345", template=TEMPLATE) for n in range(10)]
    sent = await collect(kind, {}, {"aliyun": aliyun_server.settings()}, source)
    (bad,) = [s for s in sent if s.error is not None]
    assert isinstance(bad.error, InvalidPhone) and bad.message is source[4] and bad.result is None
    assert requests_of(aliyun_server) == [("SendSms", 9)]
    assert sorted(s.message.to[0] for s in sent if s.ok) == sorted(phone(n) for n in range(10) if n != 4)


async def test_an_unknown_outcome_is_reported_for_every_member_and_never_resent(
    kind: str, aliyun_server: AliyunFake
) -> None:
    aliyun_server.server_error_next(503)  # delivered, then answered with a 5xx
    source = [Message(phone(n), template=TEMPLATE) for n in range(30)]
    sent = await collect(kind, {}, {"aliyun": aliyun_server.settings()}, source)
    assert len(sent) == 30
    assert all(s.result.recipients[0].status is Status.UNKNOWN for s in sent)
    assert Counter(aliyun_server.phones()) == Counter(phone(n) for n in range(30))  # once, never again
    assert len(aliyun_server.server.requests) == 1


async def test_a_limit_refuses_only_its_own_message(kind: str, aliyun_server: AliyunFake) -> None:
    store = MemoryStore()
    options = {"store": store, "limits": PhoneLimits(per_day=1)}
    within_one_window(86400.0, 30.0)  # the limit counts in real time
    first = await collect(kind, options, {"aliyun": aliyun_server.settings()}, [Message(phone(3), template=TEMPLATE)])
    assert first[0].ok
    source = [Message(phone(n), template=TEMPLATE) for n in range(8)]
    sent = await collect(kind, options, {"aliyun": aliyun_server.settings()}, source)
    (refused,) = [s for s in sent if s.error is not None]
    assert isinstance(refused.error, PolicyRefused) and refused.message is source[3]
    assert Counter(aliyun_server.phones()) == Counter(phone(n) for n in range(8))  # 3: by the first send only
    again = await collect(kind, options, {"aliyun": aliyun_server.settings()}, [Message(phone(5), template=TEMPLATE)])
    assert isinstance(again[0].error, PolicyRefused)  # counted exactly once by the group's fallback


async def test_group_false_sends_each_message_alone(kind: str, aliyun_server: AliyunFake) -> None:
    source = [Message(phone(n), template=TEMPLATE) for n in range(5)]
    sent = await collect(kind, {}, {"aliyun": aliyun_server.settings()}, source, group=False)
    assert requests_of(aliyun_server) == [("SendSms", 1)] * 5 and all(s.ok for s in sent)


async def test_messages_with_idempotency_keys_are_never_grouped(kind: str, aliyun_server: AliyunFake) -> None:
    source = [Message(phone(n), template=TEMPLATE, idempotency_key=f"k{n % 2}" if n < 2 else None) for n in range(6)]
    sent = await collect(kind, {}, {"aliyun": aliyun_server.settings()}, source)
    assert sorted(n for _, n in requests_of(aliyun_server)) == [1, 1, 4] and all(s.ok for s in sent)


# -- a counting sink, for memory and for mixes ----------------------------------------------------


class Recording(LocalProvider):
    """Delivers nothing; records (template, phone, params) per phone and the size of each request."""

    name = "recording"
    max_recipients = 5
    batch_max_recipients = 3
    per_recipient_params = True

    def __init__(self, *args: Any, keep: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keep = keep
        self.deliveries: list[tuple[str | None, str, tuple[tuple[str, str], ...]]] = []
        self.requests: list[tuple[int, bool]] = []  # (numbers, with per-recipient params)

    def deliver(self, message: Message, recipients: Sequence[PhoneNumber]) -> list[RecipientResult]:
        self.requests.append((len(recipients), bool(message.recipient_params)))
        if self.keep:
            self.deliveries.extend(
                (message.template, p.e164, tuple(sorted(message.params_for(p).items()))) for p in recipients
            )
        return [self.accepted(p, None) for p in recipients]


class Counted:
    """One-phone messages made as they are read, counting how many were read."""

    def __init__(self, count: int) -> None:
        self.count, self.read = count, 0

    def __iter__(self) -> Iterator[Message]:
        for n in range(self.count):
            self.read += 1
            yield Message(f"139{n:08d}", template="T", params={"code": "1"})


class Wide(Recording):
    max_recipients = 1000


async def test_reading_stays_bounded_over_200k_messages(kind: str) -> None:
    sink = Wide(keep=False)
    source = Counted(200_000)
    ahead, seen = 0, 0
    if kind == "sync":
        with Gateway([sink]) as gateway:
            for _ in gateway.send_many(source, in_flight=2):
                seen += 1
                ahead = max(ahead, source.read - seen)
    else:
        async with AsyncGateway([sink]) as gateway:
            async for _ in gateway.send_many(source, in_flight=2):
                seen += 1
                ahead = max(ahead, source.read - seen)
    assert seen == 200_000 and sum(n for n, _ in sink.requests) == 200_000
    assert max(n for n, _ in sink.requests) == 1000
    assert ahead <= 3 * 1000  # two groups in flight and one filling, never the whole source


# -- every recipient delivered exactly once, reported exactly once ---------------------------------

phones_ = st.integers(0, 11).map(lambda n: f"+86138001380{n:02d}")
messages_ = st.builds(
    lambda to, bad, template, code, own, keyed: Message(
        [*to, *(["999"] if bad else [])],
        template=template,
        params={"code": code},
        recipient_params={to[0]: {"name": "x"}} if own else None,
        idempotency_key="key" if keyed else None,  # made unique per message below
    ),
    to=st.lists(phones_, min_size=1, max_size=4, unique=True),
    bad=st.integers(0, 5).map(lambda n: n == 0),
    template=st.sampled_from(["T1", "T2"]),
    code=st.sampled_from(["1", "2", "3"]),
    own=st.integers(0, 3).map(lambda n: n == 0),
    keyed=st.integers(0, 5).map(lambda n: n == 0),
)


def expected(message: Message) -> list[tuple[str | None, str, tuple[tuple[str, str], ...]]]:
    try:
        normal = message.normalised()
    except InvalidPhone:
        return []
    return [(normal.template, p.e164, tuple(sorted(normal.params_for(p).items()))) for p in normal.phones]


@settings(max_examples=60, deadline=None)
@given(drawn=st.lists(messages_, max_size=25), sync=st.booleans())
def test_every_recipient_delivered_once_and_reported_once(drawn: list[Message], sync: bool) -> None:
    batch = [m.replace(idempotency_key=f"k{i}") if m.idempotency_key else m for i, m in enumerate(drawn)]
    sink = Recording()
    sent = asyncio.run(collect("sync" if sync else "async", {}, [sink], batch, in_flight=3))
    want = Counter(row for message in batch for row in expected(message))
    assert Counter(sink.deliveries) == want  # every recipient of every message once, none twice
    assert all(n <= (3 if per else 5) for n, per in sink.requests)  # the provider's limits
    assert sorted(id(s.message) for s in sent) == sorted(id(m) for m in batch)  # one answer per message
    for s in sent:
        if s.result is None:
            assert isinstance(s.error, InvalidPhone) and not expected(s.message)
        else:
            assert [r.phone.e164 for r in s.result.recipients] == [e for _, e, _ in expected(s.message)]
            assert all(r.ok for r in s.result.recipients)


async def test_a_message_too_big_to_group_is_sent_alone_and_answered_as_given(
    kind: str, aliyun_server: AliyunFake
) -> None:
    big = Message([phone(n) for n in range(1200)], template=TEMPLATE)
    small = Message(phone(5000), template=TEMPLATE)
    sent = await collect(kind, {}, {"aliyun": aliyun_server.settings()}, [big, small])
    assert {id(s.message) for s in sent} == {id(big), id(small)}
    (whole,) = [s for s in sent if s.message is big]
    assert len(whole.result.recipients) == 1200 and whole.ok
    assert sorted(n for _, n in requests_of(aliyun_server)) == [1, 200, 1000]
