"""Baidu Cloud SMS v3 over real HTTP against its emulator, through both gateways."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Category, Message, RetryPolicy, Status
from smsgate.emulators.baidu import expected_signature
from smsgate.emulators.server import Received
from smsgate.providers.baidu import BaiduProvider, bce_authorization
from tests.fakes.baidu import SECRET_KEY, BaiduEmulator
from tests.fakes.gateways import Driver
from tests.fakes.yunpian import YunpianEmulator
from tests.waits import await_until

CN = ["13800138001", "13800138002"]
STAMP = "2014-06-13T05:57:36Z"
VECTORS = [  # §23.1 (a), (b): method, path, query, headers, signed, ak, sk, timestamp, signature
    ("PUT", "/v1/bucket/object1", {"A": None, "b": "", "C": "d"},
     {"Host": "bce.baidu.com", "abc": "123", "x-bce-meta-key1": "ABC"}, ["host", "x-bce-meta-key1"], "my_ak", "my_sk",
     STAMP, "80c9672aca2ea9af4bb40b9a8ff458d72df94e97d550840727f3a929af271d25"),
    ("DELETE", "/v1/test-bucket1361199862", {},
     {"Content-Type": "application/json; charset=utf-8", "Content-Length": "0", "User-Agent": "This is the user-agent"},
     ["content-length", "content-type"], "my_ak", "my_sk", STAMP,
     "c9386b15d585960ae5e6972f73ed92a9a682dc81025480ba5b41206d3e489822"),
    ("POST", "/api/v3/sendSms", {},
     {"Content-Length": "176", "Content-Type": "application/json;charset=utf-8", "Host": "smsv3.bj.baidubce.com",
      "x-bce-date": "2024-01-01T00:00:00Z"}, ["content-length", "content-type", "host", "x-bce-date"], "testAK",
     "testSK", "2024-01-01T00:00:00Z", "ca1e13ffdc35a2f58a1c4e03fd01c5ddd97a5f9a03842c40b99f3bd036fd1283"),
]  # fmt: skip


def provider(emulator: BaiduEmulator, **overrides: Any) -> BaiduProvider:
    return BaiduProvider(emulator.settings(**overrides))


@pytest.mark.parametrize(("method", "path", "query", "headers", "signed", "ak", "sk", "stamp", "signature"), VECTORS)
def test_the_sdk_vectors_sign_and_verify(
    method: str, path: str, query: dict[str, str | None], headers: dict[str, str], signed: list[str],
    ak: str, sk: str, stamp: str, signature: str,
) -> None:  # fmt: skip
    prefix = f"bce-auth-v1/{ak}/{stamp}/1800"
    assert bce_authorization(ak, sk, method, path, query, headers, signed, stamp) == (
        f"{prefix}/{';'.join(signed)}/{signature}"
    )
    received = Received(method, path, [(k, v or "") for k, v in query.items()], headers, b"")
    assert expected_signature(sk, prefix, received, signed) == signature


async def test_one_request_with_per_number_ids(baidu_emulator: BaiduEmulator, gateway: Driver) -> None:
    message = Message(to=[*CN, "+85251234567"], template="sms-tmpl-1", params={"code": "4711"}, out_id="u1")
    result = await gateway.send([provider(baidu_emulator)], message)
    assert result.ok and baidu_emulator.server is not None and len(baidu_emulator.server.requests) == 1
    body = json.loads(baidu_emulator.server.requests[0].body)
    assert body["mobile"] == f"{CN[0]},{CN[1]},+85251234567" and body["signatureId"] == "sms-sign-test"
    assert body["contentVar"] == {"code": "4711"} and body["custom"] == "u1"
    ids = {d["phone"]: d["messageId"] for d in baidu_emulator.delivered}
    assert {r.phone.e164: r.message_id for r in result.recipients} == ids and len(ids) == 3


async def test_splits_at_200_numbers(baidu_emulator: BaiduEmulator, gateway: Driver) -> None:
    phones = [f"1380013{n:04d}" for n in range(201)]
    result = await gateway.send([provider(baidu_emulator)], Message(to=phones, template="T", params={"c": "1"}))
    assert result.ok and len(baidu_emulator.delivered) == 201
    assert baidu_emulator.server is not None and len(baidu_emulator.server.requests) == 2


async def test_a_refused_number_is_its_own_result(baidu_emulator: BaiduEmulator, gateway: Driver) -> None:
    baidu_emulator.fail_phone(CN[1])
    result = await gateway.send([provider(baidu_emulator)], Message(to=CN, template="T", params={"c": "1"}))
    by_phone = {r.phone.national_number: r for r in result.recipients}
    assert by_phone[CN[0]].status is Status.ACCEPTED and by_phone[CN[1]].status is Status.REJECTED
    error = by_phone[CN[1]].error
    assert error is not None and error.category is Category.RECIPIENT and error.provider_code == "4641"
    assert [d["mobile"] for d in baidu_emulator.delivered] == [CN[0]]


async def test_throttling_is_undocumented_so_unknown_and_not_resent(
    baidu_emulator: BaiduEmulator, yunpian_emulator: YunpianEmulator, gateway: Driver
) -> None:
    baidu_emulator.throttle()
    providers = {"baidu": baidu_emulator.settings(), "yunpian": yunpian_emulator.settings()}
    result = await gateway.send(providers, Message(to=CN[0], template="T", text="hi", params={"c": "1"}))
    assert result.recipients[0].status is Status.UNKNOWN and len(result.attempts) == 1
    assert yunpian_emulator.delivered == []


async def test_a_wrong_key_fails_over_and_stays_secret(
    baidu_emulator: BaiduEmulator, yunpian_emulator: YunpianEmulator, gateway: Driver,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    bad = "s3cret-wrong-baidu-secret-key"
    providers = {"baidu": baidu_emulator.settings(secret_access_key=bad), "yunpian": yunpian_emulator.settings()}
    result = await gateway.send(providers, Message(to=CN[0], template="T", text="hi", params={"c": "1"}))
    assert result.ok and result.recipients[0].provider == "yunpian" and baidu_emulator.delivered == []
    error = result.attempts[0].error
    assert error is not None and error.category is Category.AUTH and error.provider_code == "6002"
    for text in [caplog.text, str(error), repr(error), str(error.to_dict()), repr(result)]:
        assert bad not in text and SECRET_KEY not in text


async def test_a_5xx_or_timeout_after_delivery_is_unknown(baidu_emulator: BaiduEmulator, gateway: Driver) -> None:
    assert baidu_emulator.server is not None
    message = Message(to=CN[0], template="T", params={"c": "1"})
    baidu_emulator.server.fail_next(status=503, text="unavailable", after=True)
    assert (await gateway.send([provider(baidu_emulator)], message)).recipients[0].status is Status.UNKNOWN
    baidu_emulator.server.fail_next(delay=30.0, after=True)  # cut short when the client hangs up
    result = await gateway.send([provider(baidu_emulator, timeout=0.3)], message)
    assert result.recipients[0].status is Status.UNKNOWN
    await await_until(lambda: len(baidu_emulator.delivered) >= 2, what="both requests to arrive")
    assert len(baidu_emulator.delivered) == 2 and len(baidu_emulator.server.requests) == 2


def test_the_client_token_is_stable_per_request_and_distinct_otherwise() -> None:
    p = BaiduProvider(access_key_id="k", secret_access_key="s")
    message = Message(to=CN, template="T", params={"c": "1"}).normalised()
    first = p.build_request(message, message.phones).url
    assert first == p.build_request(message, message.phones).url  # a retry: the same token
    again = Message(to=CN, template="T", params={"c": "1"}).normalised()  # an equal, separate message
    assert p.build_request(again, again.phones).url != first
    assert p.build_request(message, message.phones[:1]).url != first  # fewer numbers: another request
    keyed = [Message(to=CN, template="T", params={"c": "1"}, idempotency_key="order-7").normalised() for _ in "ab"]
    assert p.build_request(keyed[0], keyed[0].phones).url == p.build_request(keyed[1], keyed[1].phones).url
    other = BaiduProvider(access_key_id="k", secret_access_key="s", alias="backup")
    assert other.build_request(keyed[0], keyed[0].phones).url != p.build_request(keyed[0], keyed[0].phones).url


async def test_a_retry_after_a_5xx_is_deduplicated_by_the_client_token(
    baidu_emulator: BaiduEmulator, gateway: Driver
) -> None:
    assert baidu_emulator.server is not None
    baidu_emulator.server.fail_next(status=503, text="unavailable", after=True)
    retry = RetryPolicy(retry_unknown=True, random=lambda: 1.0, base_delay=0.01)
    message = Message(to=CN, template="T", params={"c": "1"})
    result = await gateway.send([provider(baidu_emulator)], message, retry=retry)
    assert result.ok and len(result.attempts) == 2 and len(baidu_emulator.server.requests) == 2
    tokens = {dict(r.query)["clientToken"] for r in baidu_emulator.server.requests}
    assert len(tokens) == 1 and len(baidu_emulator.delivered) == 2  # two numbers, each sent once
    ids = {d["phone"]: d["messageId"] for d in baidu_emulator.delivered}
    assert {r.phone.e164: r.message_id for r in result.recipients} == ids


async def test_unicode_params_arrive_byte_exact(baidu_emulator: BaiduEmulator, gateway: Driver) -> None:
    params = {"name": "张三 🎉", "code": "0042"}
    result = await gateway.send([provider(baidu_emulator)], Message(to=CN[0], template="T", params=params))
    assert result.ok and baidu_emulator.delivered[0]["params"] == params


@pytest.mark.parametrize(
    ("code", "category"),
    [("6002", Category.AUTH), ("6012", Category.QUOTA), ("6006", Category.TEMPLATE), ("4502", Category.INVALID),
     ("4507", Category.RECIPIENT), ("4602", Category.TEMPLATE), ("4652", Category.RECIPIENT),
     ("4999", Category.UNKNOWN)],
)  # fmt: skip
def test_codes_are_classified(code: str, category: Category) -> None:
    p = BaiduProvider(access_key_id="k", secret_access_key="s")
    assert p.refusal(code, "m", {}).category is category


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=60), st.integers(0, 2**31))
def test_any_param_is_signed_and_verifies(value: str, when: int) -> None:
    p = BaiduProvider(access_key_id="k", secret_access_key="s", clock=lambda: float(when))
    message = Message(to=CN[0], template="T", params={"c": value}).normalised()
    request = p.build_request(message, message.phones)
    assert json.loads(request.body)["contentVar"] == {"c": value}
    path, _, query = request.url.partition("://")[2].partition("/")[2].partition("?")
    pairs = [(k, v) for k, _, v in (q.partition("=") for q in query.split("&"))]
    received = Received("POST", "/" + path, pairs, request.headers, b"")
    prefix, _, rest = request.headers["Authorization"].rpartition("/")[0].rpartition("/")
    assert expected_signature("s", prefix, received, rest.split(";")) == request.headers["Authorization"][-64:]
