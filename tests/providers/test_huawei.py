"""HuaweiProvider: WSSE and AK/SK vectors, the form, error classes, and sends over HTTP to the fake."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate import (
    Category,
    ConfigError,
    Gateway,
    HttpResponse,
    InvalidRequest,
    Message,
    OutcomeUnknown,
    Rejected,
    RetryPolicy,
    SendResult,
    Status,
    Throttled,
)
from smsgate._config import load_config
from smsgate.providers.huawei import HuaweiProvider, classify, wsse_headers
from tests.fakes.huawei import APP_KEY, APP_SECRET, SENDER, HuaweiFake, check_wsse
from tests.fakes.server import Received
from tests.waits import wait_until

VECTOR_KEY = "c8RWg3ggEcyd4D3p94bf3Y7x1Ile"
VECTOR_SECRET = "q4Ii87BhST9vcs8wvrzN80SfD7Al"
VECTOR_NONCE = "66C92B11FF8A425FB8D4CCFE0ED9ED1F"
VECTOR_CREATED = "2018-02-12T15:30:20Z"
CN = ["+8613800138000", "+8613900139000"]
INTL = ["+447911123456", "+85291234567"]
REALM = 'WSSE realm="SDP",profile="UsernameToken",type="Appkey"'


def provider(clock: Callable[[], float] = time.time, nonce: str | None = None, **fields: Any) -> HuaweiProvider:
    base = {"app_key": APP_KEY, "app_secret": APP_SECRET, "sender": SENDER}
    extra: dict[str, Any] = {"nonce": (lambda: nonce)} if nonce else {}
    return HuaweiProvider({**base, **fields}, clock=clock, **extra)


def normalised(**fields: Any) -> Message:
    return Message(
        **{"to": CN, "template": "8ff55eac1d0b478ab3c06c3c6a492300", "params": {"c": "1"}, **fields}
    ).normalised()


def received(request: Any) -> Received:
    path = "/" + request.url.split("/", 3)[3]
    return Received("POST", path, [], {k.lower(): v for k, v in request.headers.items()}, request.body)


# -- signing vectors (provider-specs §7.4) -------------------------------------------------------


def test_wsse_vector() -> None:
    digest = "NmZkZTM0YjJmNzdjMmNlNDdmMWY1OTM3OGRkNGUzNzQxZTk4NGZlY2Y2YzQzMDVmYzQ1NjE3MWIzNjM3ODBlOA=="
    headers = wsse_headers(VECTOR_KEY, VECTOR_SECRET, VECTOR_NONCE, VECTOR_CREATED)
    assert headers == {
        "Authorization": REALM,
        "X-WSSE": f'UsernameToken Username="{VECTOR_KEY}",PasswordDigest="{digest}",'
        f'Nonce="{VECTOR_NONCE}",Created="{VECTOR_CREATED}"',
    }


def test_provider_signs_with_its_clock_and_nonce() -> None:
    created = 1518449420.0  # 2018-02-12T15:30:20Z
    p = HuaweiProvider(
        app_key=VECTOR_KEY, app_secret=VECTOR_SECRET, sender="x", clock=lambda: created, nonce=lambda: VECTOR_NONCE
    )
    request = p.build_request(normalised(), normalised().phones)
    assert request.headers["X-WSSE"] == wsse_headers(VECTOR_KEY, VECTOR_SECRET, VECTOR_NONCE, VECTOR_CREATED)["X-WSSE"]
    assert request.headers["Authorization"] == REALM
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_fake_accepts_both_digest_encodings() -> None:
    raw = "b940svd8LOR/H1k3jdTjdB6YT+z2xDBfxFYXGzY3gOg="
    hexed = wsse_headers(VECTOR_KEY, VECTOR_SECRET, VECTOR_NONCE, VECTOR_CREATED)["X-WSSE"]
    credentials, now = {VECTOR_KEY: VECTOR_SECRET}, 1518449420.0 + 3600
    for token in (hexed, hexed.replace(hexed.split('"')[3], raw)):
        assert check_wsse({"authorization": REALM, "x-wsse": token}, credentials, now) is None
    bad = hexed.replace(hexed.split('"')[3], base64.b64encode(hashlib.sha256(b"x").digest()).decode())
    assert check_wsse({"authorization": REALM, "x-wsse": bad}, credentials, now) == (
        401,
        "E000101",
        "Authentication failed.",
    )


def test_aksk_vector() -> None:
    p = HuaweiProvider(
        app_key=VECTOR_KEY, app_secret=VECTOR_SECRET, sender="x", auth="aksk", clock=lambda: 1704067200.0
    )
    request = p.build_request(normalised(), normalised().phones)
    assert request.url == "https://smsapi.cn-north-4.myhuaweicloud.com/sms/batchSendSms/v1"
    assert dict(request.headers) == {
        "Content-Type": "application/x-www-form-urlencoded",
        "Host": "smsapi.cn-north-4.myhuaweicloud.com",
        "X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD",
        "X-Sdk-Date": "20240101T000000Z",
        "Authorization": f"SDK-HMAC-SHA256 Access={VECTOR_KEY}, "
        "SignedHeaders=content-type;host;x-sdk-content-sha256;x-sdk-date, "
        "Signature=f0cbf79eaf3ed10b3815066f1e4b580f63a17d9e40aa8bec3e10eef7ddf45023",
    }


@settings(max_examples=60, deadline=None)
@given(
    params=st.lists(st.text(min_size=1), min_size=1, max_size=4),
    signature=st.text(min_size=1).filter(lambda s: s.strip() == s),
    auth=st.sampled_from(["wsse", "aksk"]),
)
def test_any_unicode_params_and_signature_verify_in_the_fake(params: list[str], signature: str, auth: str) -> None:
    names = [f"p{i}" for i in range(len(params))]
    p = provider(param_order=names, signature=signature, auth=auth, endpoint="http://127.0.0.1:9")
    message = Message(to=CN, template="t1", params=dict(zip(names, params, strict=True))).normalised()
    request = p.build_request(message, message.phones)
    fake = HuaweiFake()
    status, reply = fake.answer(received(request))
    assert (status, reply["code"]) == (200, "000000")
    assert [(d.params, d.signature) for d in fake.delivered] == [(params, signature)] * 2


# -- the fake's header checks (E000001-E000027, E000040, E000110) ------------------------------


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"authorization": None}, "E000001"),
        ({"authorization": 'Basic realm="SDP"'}, "E000008"),
        ({"authorization": 'WSSE profile="UsernameToken",type="Appkey"'}, "E000002"),
        ({"authorization": 'WSSE realm="SDK",profile="UsernameToken",type="Appkey"'}, "E000004"),
        ({"authorization": 'WSSE realm="SDP",profile="Token",type="Appkey"'}, "E000005"),
        ({"authorization": 'WSSE realm="SDP",profile="UsernameToken"'}, "E000007"),
        ({"authorization": 'WSSE realm="SDP",profile="UsernameToken",type="AppKey"'}, "E000006"),
        ({"x-wsse": None}, "E000020"),
        ({"x-wsse": 'UsernameToken Username="k", Nonce="n"'}, "E000025"),
        (
            {"x-wsse": f'UsernameToken Username="{APP_KEY}",PasswordDigest="x",Created="2024-01-01T00:00:00Z"'},
            "E000022",
        ),
        ({"x-wsse": f'UsernameToken Username="{APP_KEY}",PasswordDigest="x",Nonce="n-1",Created="now"'}, "E000026"),
        ({"content-type": "application/json"}, "E000040"),
    ],
)
def test_fake_checks_headers_like_huawei(change: dict[str, str | None], code: str) -> None:
    r = received(provider().build_request(normalised(), normalised().phones))
    for name, value in change.items():
        r.headers.pop(name)
        if value is not None:
            r.headers[name] = value
    fake = HuaweiFake()
    assert fake.answer(r)[1]["code"] == code and fake.delivered == []


def test_fake_rejects_a_stale_created_and_an_unknown_key() -> None:
    stale = provider(clock=lambda: time.time() - 25 * 3600).build_request(normalised(), normalised().phones)
    assert HuaweiFake().answer(received(stale)) == (401, {"code": "E000110", "description": stale_text()})
    unknown = provider(app_key="nobody").build_request(normalised(), normalised().phones)
    assert HuaweiFake().answer(received(unknown))[1]["code"] == "E000102"


def stale_text() -> str:
    return "Created is outside the allowed time window."


def test_fake_refuses_oversized_and_malformed_recipients() -> None:
    phones = [f"+861380013{i:04d}" for i in range(501)]
    message = Message(to=phones, template="t").normalised()
    request = provider().build_request(message, message.phones)  # bypassing the provider's batching
    status, reply = HuaweiFake().answer(received(request))
    assert (status, reply["code"]) == (400, "E000503")
    with pytest.raises(Rejected) as info:
        provider().parse(request, HttpResponse(status, {}, json.dumps(reply).encode()))
    assert info.value.category is Category.INVALID


# -- settings and the form ---------------------------------------------------------------------


def test_settings_reject_unknown_keys_and_hide_the_secret() -> None:
    with pytest.raises(ConfigError) as info:
        provider(app_secrett="x")
    assert "app_secrett: unknown setting" in str(info.value)
    with pytest.raises(ConfigError, match="sender"):
        HuaweiProvider(app_key="k", app_secret="s")
    p = provider()
    assert p.max_recipients == 500 and p.url == "https://smsapi.cn-north-4.myhuaweicloud.com/sms/batchSendSms/v1"
    assert APP_SECRET not in repr(p) + repr(p.settings) + str(p.settings.model_dump())


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        ("smsapi.cn-south-1.myhuaweicloud.com", "https://smsapi.cn-south-1.myhuaweicloud.com/sms/batchSendSms/v1"),
        (
            "rtcsms.cn-north-1.myhuaweicloud.com:10743",
            "https://rtcsms.cn-north-1.myhuaweicloud.com:10743/sms/batchSendSms/v1",
        ),
        ("http://127.0.0.1:9000/", "http://127.0.0.1:9000/sms/batchSendSms/v1"),
    ],
)
def test_endpoint_override(endpoint: str, url: str) -> None:
    request = provider(endpoint=endpoint, timeout=3, proxy="http://proxy:3128").build_request(
        normalised(), normalised().phones
    )
    assert (request.url, request.timeout, request.proxy) == (url, 3, "http://proxy:3128")


def test_form_fields() -> None:
    p = provider(signature="华为云", status_callback="https://cb.example/r", param_order=["code", "where"])
    message = normalised(params={"where": "人民公园", "code": "0123"}, out_id="x-1")
    form = dict(parse_qsl(p.build_request(message, message.phones).body.decode()))
    assert form == {
        "from": SENDER,
        "to": ",".join(CN),
        "templateId": "8ff55eac1d0b478ab3c06c3c6a492300",
        "templateParas": '["0123", "人民公园"]',
        "signature": "华为云",
        "statusCallback": "https://cb.example/r",
        "extend": "x-1",
    }
    form = dict(parse_qsl(provider().build_request(normalised(params={}), normalised().phones).body.decode()))
    assert set(form) == {"from", "to", "templateId"}


def test_missing_param_is_46001_before_anything_is_sent(huawei_fake: HuaweiFake) -> None:
    cfg = huawei_fake.settings(param_order=["code", "where"])
    with Gateway({"huawei": cfg}) as gateway, pytest.raises(InvalidRequest) as info:
        gateway.send(Message(to=CN, template="t", params={"code": "1"}))
    assert info.value.code == 46001 and "where" in str(info.value) and huawei_fake.requests == []


# -- classification (provider-specs §3.5, §8) ---------------------------------------------------


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("E000000", Category.INVALID),
        ("E000004", Category.AUTH),
        ("E000023", Category.AUTH),
        ("E000040", Category.INVALID),
        ("E000101", Category.AUTH),
        ("E000102", Category.AUTH),
        ("E000110", Category.AUTH),
        ("E000112", Category.QUOTA),
        ("E000503", Category.INVALID),
        ("E000620", Category.AUTH),
        ("E200018", Category.TEMPLATE),
        ("E200028", Category.TEMPLATE),
        ("E200030", Category.TEMPLATE),
        ("E200041", Category.INVALID),
        ("E999999", Category.UNKNOWN),
    ],
)
def test_classify(code: str, category: Category) -> None:
    error = classify(code, "d")
    assert type(error) is Rejected and error.category is category and not error.retryable


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (500, b"", OutcomeUnknown),
        (503, b'{"code":"E000000"}', OutcomeUnknown),
        (200, b"not json", OutcomeUnknown),
        (200, b'{"code":"000000"}', OutcomeUnknown),
        (404, b"Not Found", Rejected),
    ],
)
def test_odd_replies(status: int, body: bytes, kind: type) -> None:
    request = provider().build_request(normalised(), normalised().phones)
    with pytest.raises(kind):
        provider().parse(request, HttpResponse(status, {}, body))


def test_a_number_missing_from_the_reply_is_unknown() -> None:
    request = provider().build_request(normalised(), normalised().phones)
    row = {"originTo": CN[0], "status": "000000", "smsMsgId": "m-1"}
    rows = provider().parse(request, HttpResponse(200, {}, json.dumps({"code": "000000", "result": [row]}).encode()))
    assert [(r.status, r.message_id) for r in rows] == [(Status.ACCEPTED, "m-1"), (Status.UNKNOWN, None)]


def test_429_is_a_retryable_throttle() -> None:
    request = provider().build_request(normalised(), normalised().phones)
    with pytest.raises(Throttled) as info:
        provider().parse(request, HttpResponse(429, {"retry-after": "3"}, b""))
    assert info.value.retryable and info.value.retry_after == 3.0


# -- over real HTTP, sync and async -----------------------------------------------------------


@pytest.mark.parametrize("auth", ["wsse", "aksk"])
def test_success(huawei_fake: HuaweiFake, send: Callable[..., SendResult], auth: str) -> None:
    message = Message(to=CN, template="t1", params={"a": "1", "b": "2"}, param_order=["b", "a"], sign_name="华为云")
    result = send({"huawei": huawei_fake.settings(auth=auth)}, message)
    assert result.ok and [r.message_id for r in result.recipients] == [d.sms_msg_id for d in huawei_fake.delivered]
    assert [(d.phone, d.params, d.signature) for d in huawei_fake.delivered] == [(p, ["2", "1"], "华为云") for p in CN]


def test_throttling_429(huawei_fake: HuaweiFake, send: Callable[..., SendResult]) -> None:
    huawei_fake.fail_next_request(429, "E000000", "too many requests")
    result = send({"huawei": huawei_fake.settings()}, Message(to=CN, template="t1"))
    assert result.ok and len(huawei_fake.requests) == 2 and len(huawei_fake.delivered) == 2
    huawei_fake.fail_next_request(429)
    result = send({"huawei": huawei_fake.settings()}, Message(to=CN, template="t1"), retry=RetryPolicy(max_attempts=1))
    error = result[CN[0]].error
    assert isinstance(error, Throttled) and error.retryable and error.failover


def test_one_number_fails_inside_a_batch(huawei_fake: HuaweiFake, send: Callable[..., SendResult]) -> None:
    huawei_fake.fail_phone(CN[1], "E200031")
    result = send({"huawei": huawei_fake.settings()}, Message(to=CN, template="t1"))
    assert result[CN[0]].ok and result[CN[0]].message_id == huawei_fake.delivered[0].sms_msg_id
    row = result[CN[1]]
    assert row.status is Status.REJECTED and row.error is not None and row.error.provider_code == "E200031"
    assert row.error.provider == "huawei" and len(huawei_fake.requests) == 1


def test_wrong_sender_is_a_template_error(huawei_fake: HuaweiFake, send: Callable[..., SendResult]) -> None:
    result = send({"huawei": huawei_fake.settings(sender="999")}, Message(to=CN, template="t1"))
    assert {(r.error.provider_code, r.error.category) for r in result.recipients if r.error} == {
        ("E200018", Category.TEMPLATE)
    }


def test_auth_failure_and_secrets_stay_out(
    huawei_fake: HuaweiFake, send: Callable[..., SendResult], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-app-secret-that-must-not-leak"
    result = send({"huawei": huawei_fake.settings(app_secret=wrong)}, Message(to=CN, template="t1"))
    error = result[CN[0]].error
    assert isinstance(error, Rejected) and error.category is Category.AUTH and error.provider_code == "E000101"
    assert huawei_fake.delivered == []
    shown = [str(error), repr(error), json.dumps(error.to_dict()), json.dumps(result.to_dict(), default=str)]
    shown.append(caplog.text)
    assert not any(wrong in text or APP_SECRET in text for text in shown)


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_is_an_unknown_outcome(
    huawei_fake: HuaweiFake, send: Callable[..., SendResult], status: int
) -> None:
    huawei_fake.fail_next_request(status, "E000000")
    result = send({"huawei": huawei_fake.settings()}, Message(to=CN, template="t1"))
    assert all(r.status is Status.UNKNOWN for r in result.recipients) and len(huawei_fake.requests) == 1


def test_timeout_after_arrival_is_unknown_with_one_delivery(
    huawei_fake: HuaweiFake, send: Callable[..., SendResult]
) -> None:
    assert huawei_fake.server is not None
    huawei_fake.server.fail_next(delay=30.0, after=True)
    result = send({"huawei": huawei_fake.settings(timeout=0.2)}, Message(to=CN[:1], template="t1"))
    assert result[CN[0]].status is Status.UNKNOWN and isinstance(result[CN[0]].error, OutcomeUnknown)
    wait_until(lambda: len(huawei_fake.delivered) >= 1, what="the request to arrive")
    assert len(huawei_fake.delivered) == 1 and len(huawei_fake.requests) == 1


def test_large_and_mixed_messages(huawei_fake: HuaweiFake, send: Callable[..., SendResult]) -> None:
    phones = [f"+861380013{i:04d}" for i in range(1000)] + INTL
    settings = huawei_fake.settings(timeout=10)  # 500 recipients a request: beyond the fake's 0.5 s on a loaded machine
    result = send({"huawei": settings}, Message(to=phones, template="t1"))
    assert result.ok and len(huawei_fake.delivered) == 1002
    sizes = sorted(len(dict(parse_qsl(r.body.decode()))["to"].split(",")) for r in huawei_fake.requests)
    assert sizes == [2, 500, 500]


# -- the docs' examples run as written ----------------------------------------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "providers" / "huawei.md"


def doc_block(language: str) -> str:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)[0]


def test_doc_python_example(huawei_fake: HuaweiFake, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("HUAWEI_SMS_APP_KEY", APP_KEY)
    monkeypatch.setenv("HUAWEI_SMS_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("HUAWEI_SMS_ENDPOINT", huawei_fake.endpoint)
    exec(compile(doc_block("python"), str(DOC), "exec"), {"__name__": "docs_example"})
    assert [(d.phone, d.params, d.signature) for d in huawei_fake.delivered] == [
        (p, ["0471", "5"], "华为云") for p in ("+8613800138000", "+447911123456")
    ]
    assert capsys.readouterr().out.count("accepted") == 2


def test_doc_config_example(huawei_fake: HuaweiFake, tmp_path: Path) -> None:
    path = tmp_path / "smsgate.toml"
    path.write_text(doc_block("toml"), encoding="utf-8")
    env = {
        "HUAWEI_SMS_APP_KEY": APP_KEY,
        "HUAWEI_SMS_APP_SECRET": APP_SECRET,
        "SMSGATE_PROVIDERS__HUAWEI__ENDPOINT": huawei_fake.endpoint,
    }
    with load_config(path, environ=env).gateway() as gateway:
        result = gateway.send(Message(to=CN[:1], template="t", params={"code": "1", "minutes": "2"}))
    assert result.ok and huawei_fake.delivered[0].params == ["1", "2"]
