"""The fake Aliyun verifies and answers like Aliyun: checked with raw requests, with requests the
provider signs, and with the official SDK when it is installed (the ``bench`` extra)."""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit

import pytest

from smsgate import HttpRequest, HttpResponse, Message, PhoneNumber, Urllib3Transport
from smsgate.providers.aliyun import AliyunProvider
from tests.fakes.aliyun import AliyunFake


@pytest.fixture
def transport() -> Any:
    with Urllib3Transport() as t:
        yield t


def provider(fake: AliyunFake, **extra: Any) -> AliyunProvider:
    return AliyunProvider(fake.settings(**extra))


def signed(fake: AliyunFake, phones: list[str], **message: Any) -> HttpRequest:
    p = provider(fake)
    message.setdefault("template", "SMS_1")
    m = Message(phones, **message).normalised()
    return p.build_request(m, m.phones)


def code(response: HttpResponse) -> tuple[int, str]:
    return response.status, response.json()["Code"]


def test_gateway_error_shape(aliyun_server: AliyunFake, transport: Any) -> None:
    request = signed(aliyun_server, ["13800138000"])
    bad = dataclasses.replace(request, url=request.url.replace("SMS_1", "SMS_2"))
    response = transport.handle_request(bad)
    body = response.json()
    assert response.status == 400 and set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    assert body["Code"] == "SignatureDoesNotMatch" and "server string to sign is:" in body["Message"]
    assert response.headers["content-type"].startswith("application/json")
    assert aliyun_server.delivered == []


def test_reused_nonce_is_refused(aliyun_server: AliyunFake, transport: Any) -> None:
    request = signed(aliyun_server, ["13800138000"])
    assert code(transport.handle_request(request)) == (200, "OK")
    assert code(transport.handle_request(request)) == (400, "SignatureNonceUsed")
    assert len(aliyun_server.delivered) == 1


@pytest.mark.parametrize(("skew", "expected"), [(-16 * 60, "InvalidTimeStamp.Expired"), (14 * 60, "OK")])
def test_clock_skew(aliyun_server: AliyunFake, transport: Any, skew: float, expected: str) -> None:
    aliyun_server.clock = lambda: time.time() + skew
    assert code(transport.handle_request(signed(aliyun_server, ["13800138000"])))[1] == expected


def test_unknown_access_key_is_404(aliyun_server: AliyunFake, transport: Any) -> None:
    aliyun_server.credentials["other"] = "x"
    request = signed(aliyun_server, ["13800138000"])
    del aliyun_server.credentials["testAK"]
    assert code(transport.handle_request(request)) == (404, "InvalidAccessKeyId.NotFound")


def test_tampering_is_caught(aliyun_server: AliyunFake, transport: Any) -> None:
    batch = signed(aliyun_server, ["13800138000", "13900139000"], recipient_params={"13800138000": {"c": "1"}})
    wrong_body = dataclasses.replace(batch, body=batch.body.replace(b"13900139000", b"13900139001"))
    assert code(transport.handle_request(wrong_body)) == (400, "InvalidParameter")
    request = signed(aliyun_server, ["13800138000"])
    extra_header = dataclasses.replace(request, headers={**request.headers, "x-acs-extra": "1"})
    assert code(transport.handle_request(extra_header)) == (400, "IncompleteSignature")
    unsigned = dataclasses.replace(request, headers={k: v for k, v in request.headers.items() if k != "authorization"})
    assert code(transport.handle_request(unsigned)) == (400, "IncompleteSignature")


def test_wire_encoding_is_decoded_before_verifying(aliyun_server: AliyunFake, transport: Any) -> None:
    """The SDK's wire form (space as ``+``, ``~`` bare) signs the same as the canonical form."""
    request = signed(aliyun_server, ["13800138000"], params={"name": "a b*c~+/"}, sign_name="短信 测试")
    params = parse_qsl(urlsplit(request.url).query)
    sdk_query = urlencode(params, quote_via=quote_plus)
    assert "a+b" in sdk_query
    url = request.url.split("?")[0] + "?" + sdk_query
    assert code(transport.handle_request(dataclasses.replace(request, url=url))) == (200, "OK")
    assert aliyun_server.delivered[0].params == {"name": "a b*c~+/"}
    assert aliyun_server.delivered[0].sign_name == "短信 测试"


def test_number_limits(aliyun_server: AliyunFake, transport: Any) -> None:
    phones = [f"138{i:08d}" for i in range(1001)]
    assert code(transport.handle_request(signed(aliyun_server, phones))) == (200, "isv.MOBILE_COUNT_OVER_LIMIT")
    per = {phones[0]: {"c": "1"}}
    batch = signed(aliyun_server, phones[:101], recipient_params=per)
    assert code(transport.handle_request(batch)) == (200, "isv.MOBILE_COUNT_OVER_LIMIT")
    assert code(transport.handle_request(signed(aliyun_server, phones[:1000]))) == (200, "OK")


def test_templates_and_params(aliyun_server: AliyunFake, transport: Any) -> None:
    aliyun_server.templates = {"SMS_1": ("code",)}
    missing = signed(aliyun_server, ["13800138000"], params={"other": "1"})
    assert code(transport.handle_request(missing)) == (200, "isv.TEMPLATE_MISSING_PARAMETERS")
    unknown = signed(aliyun_server, ["13800138000"], template="SMS_9", params={"code": "1"})
    assert code(transport.handle_request(unknown)) == (200, "isv.SMS_TEMPLATE_ILLEGAL")
    assert code(transport.handle_request(signed(aliyun_server, ["13800138000"], params={"code": "1"}))) == (200, "OK")


def _raw_send(fake: AliyunFake, query: dict[str, str]) -> HttpRequest:
    """A request signed by the reference algorithm alone, for inputs the provider never builds."""
    from tests.fakes.aliyun import reference_v3_authorization

    assert fake.server is not None
    headers = {
        "host": fake.server.endpoint,
        "x-acs-action": "SendSms",
        "x-acs-version": "2017-05-25",
        "x-acs-date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "x-acs-signature-nonce": f"n-{time.time_ns()}",
        "x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    }
    auth, _ = reference_v3_authorization("POST", query, headers, b"", "testAK", "testSecret")
    url = f"{fake.server.url}/?{urlencode(query)}"
    return HttpRequest("POST", url, headers={**headers, "authorization": auth})


def test_business_validation(aliyun_server: AliyunFake, transport: Any) -> None:
    base = {"PhoneNumbers": "13800138000", "SignName": "S", "TemplateCode": "SMS_1"}
    numbers = {**base, "TemplateParam": json.dumps({"code": 1234})}
    assert code(transport.handle_request(_raw_send(aliyun_server, numbers))) == (200, "isv.INVALID_JSON_PARAM")
    bad_phone = {**base, "PhoneNumbers": "138001380"}
    assert code(transport.handle_request(_raw_send(aliyun_server, bad_phone))) == (200, "isv.MOBILE_NUMBER_ILLEGAL")
    no_sign = {k: v for k, v in base.items() if k != "SignName"}
    assert code(transport.handle_request(_raw_send(aliyun_server, no_sign))) == (400, "MissingSignName")
    plus86 = {**base, "PhoneNumbers": "+8613800138000,008613900139000"}
    assert code(transport.handle_request(_raw_send(aliyun_server, plus86))) == (200, "OK")
    assert aliyun_server.phones() == ["13800138000", "13900139000"]


def test_failure_knobs_count_down(aliyun_server: AliyunFake, transport: Any) -> None:
    aliyun_server.fail_phone("+8613800138000", "isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1", times=1)
    first = transport.handle_request(signed(aliyun_server, ["13800138000"]))
    assert code(first) == (200, "isv.BUSINESS_LIMIT_CONTROL") and first.json()["Message"] == "触发分钟级流控Permits:1"
    assert code(transport.handle_request(signed(aliyun_server, ["13800138000"]))) == (200, "OK")
    aliyun_server.throttle_next(retry_after=None)
    throttled = transport.handle_request(signed(aliyun_server, ["13800138000"]))
    assert code(throttled) == (400, "Throttling.User") and "x-acs-retry-after" not in throttled.headers


def test_query_send_details_pages(aliyun_server: AliyunFake, transport: Any) -> None:
    p = provider(aliyun_server)
    for _ in range(3):
        transport.handle_request(signed(aliyun_server, ["13800138000"], out_id="x"))
    day = time.strftime("%Y%m%d", time.gmtime(time.time() + 8 * 3600))
    page1 = p.query_request("13800138000", day, page_size=2)
    page2 = p.query_request("13800138000", day, page_size=2, page=2)
    first, second = transport.handle_request(page1), transport.handle_request(page2)
    assert first.json()["TotalCount"] == 3
    assert len(p.parse_details(page1, first)) == 2 and len(p.parse_details(page2, second)) == 1
    other_day = p.query_request("13800138000", "20200101")
    assert p.parse_details(other_day, transport.handle_request(other_day)) == []


def test_rpc_requests_need_json_format(aliyun_server: AliyunFake, transport: Any) -> None:
    from tests.fakes.aliyun import reference_rpc_signature

    assert aliyun_server.server is not None
    params = {
        "Action": "SendSms",
        "Version": "2017-05-25",
        "Format": "XML",
        "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "SignatureNonce": f"n-{time.time_ns()}",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "AccessKeyId": "testAK",
        "PhoneNumbers": "13800138000",
        "SignName": "S",
        "TemplateCode": "SMS_1",
    }
    params["Signature"] = reference_rpc_signature("POST", params, "testSecret")[0]
    response = transport.handle_request(HttpRequest("POST", f"{aliyun_server.server.url}/?{urlencode(params)}"))
    assert response.status == 400 and response.body.startswith(b"<Error>")
    assert aliyun_server.delivered == []
    params.update(Format="JSON", SignatureNonce=f"n-{time.time_ns()}")
    del params["Signature"]
    params["Signature"] = reference_rpc_signature("POST", params, "testSecret")[0]
    ok = transport.handle_request(HttpRequest("POST", f"{aliyun_server.server.url}/?{urlencode(params)}"))
    assert code(ok) == (200, "OK") and aliyun_server.delivered[0].signature == "rpc"


def test_the_official_sdk_is_accepted(aliyun_server: AliyunFake) -> None:
    sdk = pytest.importorskip("alibabacloud_dysmsapi20170525.client")
    models = pytest.importorskip("alibabacloud_dysmsapi20170525.models")
    openapi = pytest.importorskip("alibabacloud_tea_openapi.models")
    assert aliyun_server.server is not None
    for algorithm in ("ACS3-HMAC-SHA256", "v2"):
        config = openapi.Config(
            access_key_id="testAK",
            access_key_secret="testSecret",
            endpoint=aliyun_server.server.endpoint,
            protocol="http",
        )
        if algorithm == "v2":
            config.signature_algorithm = "v2"
        client = sdk.Client(config)
        one = models.SendSmsRequest(
            phone_numbers="13800138000", sign_name="阿里云", template_code="SMS_1", template_param='{"code":"a b*~"}'
        )
        assert client.send_sms(one).body.code == "OK"
        batch = models.SendBatchSmsRequest(
            phone_number_json='["13800138000","13900139000"]',
            sign_name_json='["阿里云","阿里云"]',
            template_code="SMS_1",
            template_param_json='[{"a":"1"},{"a":"2 +"}]',
        )
        assert client.send_batch_sms(batch).body.code == "OK"
    assert [(d.signature, d.params) for d in aliyun_server.delivered] == [
        ("v3", {"code": "a b*~"}),
        ("v3", {"a": "1"}),
        ("v3", {"a": "2 +"}),
        ("rpc", {"code": "a b*~"}),
        ("rpc", {"a": "1"}),
        ("rpc", {"a": "2 +"}),
    ]
    assert all(isinstance(PhoneNumber.parse(d.phone), PhoneNumber) for d in aliyun_server.delivered)
