"""AliyunProvider without a network: settings, endpoints, requests, splitting, error classes, receipts."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlsplit

import pytest

from smsgate import (
    Category,
    ConfigError,
    HttpResponse,
    InvalidRequest,
    Message,
    OutcomeUnknown,
    PhoneNumber,
    Rejected,
    SmsError,
    Throttled,
)
from smsgate.providers.aliyun import AliyunProvider, DeliveryStatus, endpoint_for, wire_phone

SECRET = "s3cr3t-VALUE-never-shown"
TOKEN = "sts-T0KEN-never-shown"


def make(**settings: object) -> AliyunProvider:
    values: dict[str, object] = {"access_key_id": "AK", "access_key_secret": SECRET, "sign_name": "Sign", **settings}
    return AliyunProvider(values, clock=lambda: 1_700_000_000.0, nonce=lambda: "n0nce")


def build(message: Message, provider: AliyunProvider | None = None):  # type: ignore[no-untyped-def]
    provider = provider or make()
    message = message.normalised()
    return provider.build_request(message, message.phones)


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


# -- settings and endpoints -------------------------------------------------------------------


def test_settings_reject_unknown_keys_and_name_the_field() -> None:
    with pytest.raises(ConfigError) as info:
        AliyunProvider({"access_key_id": "AK", "access_key_secret": SECRET, "acess_key": "x"})
    assert "acess_key: unknown setting" in str(info.value)
    with pytest.raises(ConfigError, match="access_key_secret"):
        AliyunProvider({"access_key_id": "AK"})


def test_secrets_stay_out_of_reprs() -> None:
    provider = make(security_token=TOKEN)
    request = build(Message("13800138000", template="SMS_1"), provider)
    for text in (repr(provider), repr(provider.settings), str(provider.settings), repr(request)):
        assert SECRET not in text and TOKEN not in text


@pytest.mark.parametrize(
    ("region", "host"),
    [
        ("cn-hangzhou", "dysmsapi.aliyuncs.com"),
        ("cn-beijing", "dysmsapi.aliyuncs.com"),
        ("ap-southeast-1", "dysmsapi.ap-southeast-1.aliyuncs.com"),
        ("cn-hongkong", "dysmsapi-xman.cn-hongkong.aliyuncs.com"),
        ("eu-central-1", "dysmsapi.eu-central-1.aliyuncs.com"),
    ],
)
def test_region_picks_the_host(region: str, host: str) -> None:
    assert endpoint_for(region) == host
    request = build(Message("13800138000", template="SMS_1"), make(region_id=region))
    assert request.url.startswith(f"https://{host}/?")
    assert request.headers["host"] == host


@pytest.mark.parametrize(
    ("endpoint", "prefix", "host"),
    [
        ("dysmsapi.example.com", "https://dysmsapi.example.com/?", "dysmsapi.example.com"),
        ("127.0.0.1:9000", "http://127.0.0.1:9000/?", "127.0.0.1:9000"),
        ("localhost:9000", "http://localhost:9000/?", "localhost:9000"),
        ("https://127.0.0.1:9443", "https://127.0.0.1:9443/?", "127.0.0.1:9443"),
        ("http://gw.internal:8080/", "http://gw.internal:8080/?", "gw.internal:8080"),
    ],
)
def test_endpoint_forms(endpoint: str, prefix: str, host: str) -> None:
    request = build(Message("13800138000", template="SMS_1"), make(endpoint=endpoint))
    assert request.url.startswith(prefix)
    assert request.headers["host"] == host


def test_bad_endpoint_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="endpoint"):
        make(endpoint="http://")


# -- requests ---------------------------------------------------------------------------------


def test_phone_wire_format() -> None:
    assert wire_phone(PhoneNumber.parse("+86 138 0013 8000")) == "13800138000"
    assert wire_phone(PhoneNumber.parse("008613800138000")) == "13800138000"
    assert wire_phone(PhoneNumber.parse("+85291234567")) == "85291234567"
    assert wire_phone(PhoneNumber.parse("+14155550123", "US")) == "14155550123"


def test_send_sms_request() -> None:
    message = Message(
        ["13800138000", "+85291234567"],
        template="SMS_default",
        templates={"aliyun": "SMS_154950909"},
        params={"code": 1234, "name": "张三"},
        sign_names={"aliyun": "阿里云"},
        out_id="order-7",
        extend_code="12",
    )
    request = build(message)
    assert request.method == "POST" and request.body == b""
    assert query_of(request.url) == {
        "PhoneNumbers": "13800138000,85291234567",
        "SignName": "阿里云",
        "TemplateCode": "SMS_154950909",
        "TemplateParam": '{"code":"1234","name":"张三"}',
        "OutId": "order-7",
        "SmsUpExtendCode": "12",
    }
    h = request.headers
    assert h["x-acs-action"] == "SendSms" and h["x-acs-version"] == "2017-05-25"
    assert h["x-acs-date"] == "2023-11-14T22:13:20Z" and h["x-acs-signature-nonce"] == "n0nce"
    assert h["x-acs-content-sha256"] == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert h["accept"] == "application/json"
    assert h["authorization"].startswith("ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=accept;content-type;host;")
    assert len(request.recipients) == 2


def test_sign_name_falls_back_to_settings_and_is_required() -> None:
    assert query_of(build(Message("13800138000", template="SMS_1")).url)["SignName"] == "Sign"
    provider = AliyunProvider(access_key_id="AK", access_key_secret=SECRET)
    with pytest.raises(InvalidRequest) as info:
        provider.check(Message("13800138000", template="SMS_1").normalised())
    assert info.value.field == "sign_name"
    with pytest.raises(InvalidRequest) as info:
        provider.check(Message("13800138000", text="hi").normalised())
    assert info.value.field == "template"


def test_send_batch_sms_request() -> None:
    message = Message(
        ["13800138000", "13900139000"],
        template="SMS_1",
        params={"shop": "A"},
        recipient_params={"13900139000": {"code": "2"}},
        extend_code="9",
        out_id="o1",
    )
    request = build(message)
    assert request.headers["x-acs-action"] == "SendBatchSms"
    assert query_of(request.url) == {"TemplateCode": "SMS_1", "OutId": "o1"}
    form = dict(parse_qsl(request.body.decode()))
    assert json.loads(form["PhoneNumberJson"]) == ["13800138000", "13900139000"]
    assert json.loads(form["SignNameJson"]) == ["Sign", "Sign"]
    assert json.loads(form["TemplateParamJson"]) == [{"shop": "A"}, {"shop": "A", "code": "2"}]
    assert json.loads(form["SmsUpExtendCodeJson"]) == ["9", "9"]
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"


def test_sts_token_is_sent_and_signed() -> None:
    request = build(Message("13800138000", template="SMS_1"), make(security_token=TOKEN))
    assert request.headers["x-acs-security-token"] == TOKEN
    assert request.headers["x-acs-accesskey-id"] == "AK"
    assert "x-acs-security-token" in request.headers["authorization"]
    rpc = build(Message("13800138000", template="SMS_1"), make(security_token=TOKEN, signature_version="v2"))
    assert query_of(rpc.url)["SecurityToken"] == TOKEN


def test_batches_split_by_api_limits() -> None:
    provider = make()
    phones = [PhoneNumber.parse(f"138{i:08d}") for i in range(2500)]
    plain = Message(phones, template="SMS_1")
    assert [len(b) for b in provider.batches(plain, phones)] == [1000, 1000, 500]
    per = Message(phones[:250], template="SMS_1", recipient_params={phones[0].e164: {"code": "1"}})
    assert [len(b) for b in provider.batches(per, phones[:250])] == [100, 100, 50]


# -- responses --------------------------------------------------------------------------------


def reply(status: int, body: object, headers: dict[str, str] | None = None) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(status, headers or {}, raw)


def parse(response: HttpResponse, phones: tuple[str, ...] = ("13800138000", "13900139000")):  # type: ignore[no-untyped-def]
    return make().parse(build(Message(list(phones), template="SMS_1")), response)


def test_ok_accepts_every_recipient_with_the_biz_id() -> None:
    rows = parse(reply(200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "R"}))
    assert [(r.phone.national_number, r.status.value, r.message_id) for r in rows] == [
        ("13800138000", "accepted", "900619746936498440^0"),
        ("13900139000", "accepted", "900619746936498440^0"),
    ]


def business(code: str, message: str = "m") -> HttpResponse:
    return reply(200, {"Code": code, "Message": message, "RequestId": "R"})


def gateway(status: int, code: str, headers: dict[str, str] | None = None) -> HttpResponse:
    body = {"RequestId": "R", "HostId": "dysmsapi.aliyuncs.com", "Code": code, "Message": "m", "Recommend": "u"}
    return reply(status, body, headers)


@pytest.mark.parametrize(
    ("response", "kind", "category", "retryable"),
    [
        (business("isv.MOBILE_NUMBER_ILLEGAL"), Rejected, Category.RECIPIENT, False),
        (business("isv.SMS_TEMPLATE_ILLEGAL"), Rejected, Category.TEMPLATE, False),
        (business("isv.SMS_SIGNATURE_ILLEGAL"), Rejected, Category.TEMPLATE, False),
        (business("isv.TEMPLATE_MISSING_PARAMETERS"), Rejected, Category.TEMPLATE, False),
        (business("isv.AMOUNT_NOT_ENOUGH"), Rejected, Category.QUOTA, False),
        (business("isv.DAY_LIMIT_CONTROL"), Rejected, Category.QUOTA, False),
        (business("isv.ACCOUNT_ABNORMAL"), Rejected, Category.AUTH, False),
        (business("isp.RAM_PERMISSION_DENY"), Rejected, Category.AUTH, False),
        (business("isv.MOBILE_COUNT_OVER_LIMIT"), Rejected, Category.INVALID, False),
        (business("isv.SOMETHING_NEW"), Rejected, Category.INVALID, False),
        (business("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1"), Throttled, Category.THROTTLED, False),
        (business("isp.SYSTEM_ERROR"), OutcomeUnknown, Category.UNKNOWN, False),
        (business("isp.GATEWAY_ERROR"), OutcomeUnknown, Category.UNKNOWN, False),
        (gateway(400, "SignatureDoesNotMatch"), Rejected, Category.AUTH, False),
        (gateway(404, "InvalidAccessKeyId.NotFound"), Rejected, Category.AUTH, False),
        (gateway(403, "Forbidden.RAM"), Rejected, Category.AUTH, False),
        (gateway(400, "InvalidTimeStamp.Expired"), Rejected, Category.INVALID, False),
        (gateway(400, "SignatureNonceUsed"), Rejected, Category.INVALID, True),
        (gateway(400, "MissingPhoneNumbers"), Rejected, Category.INVALID, False),
        (gateway(400, "Throttling.User"), Throttled, Category.THROTTLED, True),
        (gateway(429, "Throttling.Api"), Throttled, Category.THROTTLED, True),
        (gateway(503, "ServiceUnavailable"), OutcomeUnknown, Category.UNKNOWN, False),
        (gateway(500, "InternalError"), OutcomeUnknown, Category.UNKNOWN, False),
        (reply(502, b"<html>bad gateway</html>"), OutcomeUnknown, Category.UNKNOWN, False),
        (reply(200, b"<html>captive portal</html>"), OutcomeUnknown, Category.UNKNOWN, False),
        (reply(200, {"Message": "no code"}), OutcomeUnknown, Category.UNKNOWN, False),
        (reply(200, [1, 2]), OutcomeUnknown, Category.UNKNOWN, False),
        (reply(404, b"not found"), Rejected, Category.INVALID, False),
    ],
)
def test_error_classes(response: HttpResponse, kind: type[SmsError], category: Category, retryable: bool) -> None:
    with pytest.raises(SmsError) as info:
        parse(response)
    error = info.value
    assert type(error) is kind
    assert (error.category, error.retryable, error.provider) == (category, retryable, "aliyun")
    body = response.json()
    if isinstance(body, dict) and "Code" in body:
        assert error.provider_code == body["Code"]
        assert error.raw == body


def test_throttling_reads_x_acs_retry_after_in_milliseconds() -> None:
    with pytest.raises(Throttled) as info:
        parse(gateway(400, "Throttling.User", {"x-acs-retry-after": "1500"}))
    assert info.value.retry_after == 1.5 and info.value.retryable
    with pytest.raises(Throttled) as info:  # any gateway error carrying the header is a throttle
        parse(gateway(400, "SomethingElse", {"x-acs-retry-after": "200"}))
    assert info.value.retry_after == 0.2
    with pytest.raises(Throttled) as info:
        parse(gateway(429, "Throttling", {"retry-after": "3"}))
    assert info.value.retry_after == 3.0


def test_business_limit_message_is_kept() -> None:
    with pytest.raises(Throttled) as info:
        parse(business("isv.BUSINESS_LIMIT_CONTROL", "触发天级流控Permits:10"))
    assert info.value.provider_message == "触发天级流控Permits:10"
    assert info.value.failover and not info.value.retryable


# -- QuerySendDetails -------------------------------------------------------------------------


def test_query_request() -> None:
    provider = make()
    when = datetime(2024, 3, 1, 17, 0, tzinfo=timezone.utc)  # already 2 March in Beijing
    request = provider.query_request("+8613800138000", when, biz_id="B1", page_size=10, page=2)
    assert request.headers["x-acs-action"] == "QuerySendDetails"
    assert query_of(request.url) == {
        "PhoneNumber": "13800138000",
        "SendDate": "20240302",
        "PageSize": "10",
        "CurrentPage": "2",
        "BizId": "B1",
    }
    with pytest.raises(InvalidRequest) as info:
        provider.query_request("13800138000", "20240302", page_size=51)
    assert info.value.field == "page_size"


def test_parse_details() -> None:
    provider = make()
    request = provider.query_request("13800138000", "20190108", biz_id="B1")
    body = {
        "Code": "OK",
        "Message": "OK",
        "RequestId": "R",
        "TotalCount": 2,
        "SmsSendDetailDTOs": {
            "SmsSendDetailDTO": [
                {
                    "PhoneNum": "13800138000",
                    "SendStatus": 3,
                    "ErrCode": "DELIVERED",
                    "TemplateCode": "SMS_1",
                    "Content": "【阿里云】hi",
                    "SendDate": "2019-01-08 16:44:10",
                    "ReceiveDate": "2019-01-08 16:44:13",
                    "OutId": "o1",
                },
                {"PhoneNum": "13800138000", "SendStatus": 2, "ErrCode": "MK:0001", "SendDate": "2019-01-08 16:45:00"},
                {"PhoneNum": "13800138000", "SendStatus": 1, "ErrCode": "", "SendDate": "2019-01-08 16:46:00"},
            ]
        },
    }
    delivered, failed, pending = provider.parse_details(request, reply(200, body))
    beijing = timezone(timedelta(hours=8))
    assert delivered.status is DeliveryStatus.DELIVERED and delivered.err_code == "DELIVERED"
    assert delivered.send_date == datetime(2019, 1, 8, 16, 44, 10, tzinfo=beijing)
    assert delivered.receive_date == datetime(2019, 1, 8, 16, 44, 13, tzinfo=beijing)
    assert (delivered.out_id, delivered.biz_id, delivered.phone) == ("o1", "B1", "13800138000")
    assert failed.status is DeliveryStatus.FAILED and failed.err_code == "MK:0001" and failed.receive_date is None
    assert pending.status is DeliveryStatus.PENDING and pending.err_code is None
    assert provider.parse_details(request, reply(200, {"Code": "OK", "SmsSendDetailDTOs": {}})) == []
    with pytest.raises(Rejected):
        provider.parse_details(request, gateway(400, "SignatureDoesNotMatch"))
    with pytest.raises(OutcomeUnknown):
        provider.parse_details(request, reply(200, {"Code": "OK", "SmsSendDetailDTOs": {"SmsSendDetailDTO": [{}]}}))
