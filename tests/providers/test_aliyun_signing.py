"""Aliyun signing: the spec's vectors (§7.1, §7.2) exactly, and property checks against the
fake's independent verifier (§7.0)."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate import Message, PhoneNumber
from smsgate.providers._acs import (
    EMPTY_SHA256,
    RpcSigner,
    canonical_query,
    pct,
    rpc_signature,
    send_sms_params,
    send_sms_query,
    v3_authorization,
)
from smsgate.providers._aliyun_wire import pct_json, to_json
from smsgate.providers.aliyun import AliyunProvider
from tests.fakes.aliyun import reference_rpc_signature, reference_v3_authorization

AK, SECRET = "YourAccessKeyId", "YourAccessKeySecret"
DATE, NONCE = "2023-10-26T10:22:32Z", "3156853299f313e23d1673dc12e1703d"
EPOCH = 1698315752.0  # 2023-10-26T10:22:32Z
SIGN = "阿里云短信测试"
SEND = {"PhoneNumbers": "13800000000", "SignName": SIGN, "TemplateCode": "SMS_154950909"}
SEND["TemplateParam"] = '{"code":"1234"}'
BASE_HEADERS = {
    "host": "dysmsapi.aliyuncs.com",
    "x-acs-action": "SendSms",
    "x-acs-content-sha256": EMPTY_SHA256,
    "x-acs-date": DATE,
    "x-acs-signature-nonce": NONCE,
    "x-acs-version": "2017-05-25",
}
SDK_HEADERS = {
    "accept": "application/json",
    "user-agent": "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
    "x-acs-credentials-provider": "static_ak",
}
BATCH_BODY = (
    b"PhoneNumberJson=%5B%2213800000000%22%2C%2213900000000%22%5D"
    b"&SignNameJson=%5B%22%E9%98%BF%E9%87%8C%E4%BA%91%22%2C%22%E9%98%BF%E9%87%8C%E4%BA%91%22%5D"
    b"&TemplateParamJson=%5B%7B%22code%22%3A%221234%22%7D%2C%7B%22code%22%3A%225678%22%7D%5D"
)
BATCH_SHA = "70bbbca07e77373a59d7775b3092f0ec0b32b5d22cc96f83b60af611527533b3"


def signature(authorization: str) -> str:
    return authorization.rsplit("Signature=", 1)[1]


def provider(**settings: object) -> AliyunProvider:
    values: dict[str, object] = {"access_key_id": AK, "access_key_secret": SECRET, "sign_name": SIGN, **settings}
    return AliyunProvider(values, clock=lambda: EPOCH, nonce=lambda: NONCE)


def test_v3_vector_a_minimal_headers() -> None:
    query = canonical_query(SEND)
    assert query == (
        "PhoneNumbers=13800000000&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95"
        "&TemplateCode=SMS_154950909&TemplateParam=%7B%22code%22%3A%221234%22%7D"
    )
    auth = v3_authorization("POST", query, BASE_HEADERS, EMPTY_SHA256, AK, SECRET)
    assert auth == (
        "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,"
        "SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,"
        "Signature=8ea074df6b09a413025b88585d4f753bc2ae681c8c8104d71c3e0e2d9b0f9aeb"
    )


def test_v3_vector_b_sdk_headers() -> None:
    auth = v3_authorization("POST", canonical_query(SEND), {**BASE_HEADERS, **SDK_HEADERS}, EMPTY_SHA256, AK, SECRET)
    assert "SignedHeaders=accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;" in auth
    assert signature(auth) == "f59da00dc7ccaca22be1002c2ae71a3a8d07c42184e71a069678778e5d953f42"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, "802f72b831cb90fb20949627f067c87fd9577a356fc4dfb6cdf020a07816f78e"),
        (SDK_HEADERS, "6be18fe33d0e4f8fbb84cac9e61ee7878563b4059f2af28427cc0b8b437b6ccf"),
    ],
)
def test_v3_vector_c_batch(extra: dict[str, str], expected: str) -> None:
    headers = {**BASE_HEADERS, **extra, "x-acs-action": "SendBatchSms", "x-acs-content-sha256": BATCH_SHA}
    headers["content-type"] = "application/x-www-form-urlencoded"
    query = canonical_query({"TemplateCode": "SMS_154950909"})
    assert signature(v3_authorization("POST", query, headers, BATCH_SHA, AK, SECRET)) == expected


def test_provider_builds_the_vector_c_body_exactly() -> None:
    phones = (PhoneNumber.parse("13800000000"), PhoneNumber.parse("13900000000"))
    message = Message(
        phones,
        template="SMS_154950909",
        sign_name="阿里云",
        recipient_params={"13800000000": {"code": "1234"}, "13900000000": {"code": "5678"}},
    )
    request = provider().build_request(message.normalised(), phones)
    assert request.body == BATCH_BODY
    assert request.headers["x-acs-content-sha256"] == BATCH_SHA
    assert urlsplit(request.url).query == "TemplateCode=SMS_154950909"


def test_v3_vector_d_encoding_edge_case() -> None:
    query = canonical_query({"TemplateParam": '{"name":"a b*c~+/"}'})
    assert query == "TemplateParam=%7B%22name%22%3A%22a%20b%2Ac~%2B%2F%22%7D"
    # the SDK's wire form (space as +) decodes to the same value, so it signs the same
    wire = dict(parse_qsl("TemplateParam=%7B%22name%22%3A%22a+b%2Ac~%2B%2F%22%7D"))
    assert canonical_query(wire) == query


def test_provider_request_matches_vector_a_query_and_verifies() -> None:
    p = provider()
    message = Message(["13800000000"], template="SMS_154950909", params={"code": "1234"}).normalised()
    request = p.build_request(message, message.phones)
    url = urlsplit(request.url)
    assert url.query == canonical_query(SEND)
    assert request.headers["x-acs-date"] == DATE and request.headers["x-acs-signature-nonce"] == NONCE
    signed = {k: v for k, v in request.headers.items() if k != "authorization"}
    expected, _ = reference_v3_authorization("POST", dict(parse_qsl(url.query)), signed, request.body, AK, SECRET)
    assert request.headers["authorization"] == expected


RPC_DOC = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}


@pytest.mark.parametrize(
    ("method", "expected"), [("GET", "zJDF+Lrzhj/ThnlvIToysFRq6t4="), ("POST", "Xvhv7fPXrPkLVSnlt0jIr08o8NQ=")]
)
def test_rpc_vector_7_1(method: str, expected: str) -> None:
    assert rpc_signature(method, RPC_DOC, "testSecret") == expected
    ours, sts = reference_rpc_signature(method, RPC_DOC, "testSecret")
    assert ours == expected
    assert sts.startswith(f"{method}&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123")
    assert "%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25" in sts


def test_rpc_vector_e_send_sms_from_the_provider() -> None:
    p = provider(signature_version="v2")
    message = Message(["13800000000"], template="SMS_154950909", params={"code": "1234"}).normalised()
    request = p.build_request(message, message.phones)
    query = dict(parse_qsl(urlsplit(request.url).query))
    assert query["Signature"] == "SC6+ZXklxLkChUDv5jzS6+Y9OIA="
    assert "authorization" not in request.headers and request.body == b""


def test_rpc_vector_e_batch_signs_body_params() -> None:
    p = provider(signature_version="v2")
    phones = (PhoneNumber.parse("13800000000"), PhoneNumber.parse("13900000000"))
    message = Message(
        phones,
        template="SMS_154950909",
        sign_name="阿里云",
        recipient_params={"13800000000": {"code": "1234"}, "13900000000": {"code": "5678"}},
    ).normalised()
    request = p.build_request(message, phones)
    assert request.body == BATCH_BODY
    query = dict(parse_qsl(urlsplit(request.url).query))
    assert "PhoneNumberJson" not in query
    assert query["Signature"] == "hncF/DinQR8SFqcl/PJd9bKIpdc="


def test_pct_is_rfc3986() -> None:
    assert pct("a b*c~+/") == "a%20b%2Ac~%2B%2F"
    assert pct("-_.~AZaz09") == "-_.~AZaz09"
    assert pct("阿") == "%E9%98%BF"


text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@given(value=text)
def test_pct_equals_quote_with_only_unreserved_kept(value: str) -> None:
    assert pct(value) == quote(value, safe="~")


@given(params=st.dictionaries(st.text(st.characters(codec="ascii", categories=("Lu", "Ll", "Nd")), min_size=1), text))
def test_canonical_query_is_sorted_and_encoded(params: dict[str, str]) -> None:
    expected = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in sorted(params.items()))
    assert canonical_query(params) == expected


maybe_text = st.none() | text


@given(phones=text, sign=text, template=text, params=maybe_text, out_id=maybe_text, extend_code=maybe_text)
def test_send_sms_query_is_the_canonical_query_of_its_params(
    phones: str, sign: str, template: str, params: str | None, out_id: str | None, extend_code: str | None
) -> None:
    parts = (phones, sign, template, params, out_id, extend_code)
    encoded = pct(params) if params else None  # send_sms_query takes the TemplateParam encoded already
    assert send_sms_query(phones, sign, template, encoded, out_id, extend_code) == canonical_query(
        send_sms_params(*parts)
    )


plain = st.text(st.characters(codec="ascii", categories=("Lu", "Ll", "Nd")), min_size=1, max_size=8)
names = plain | st.sampled_from(["x y", "金额", "a*b", "١٢", "ｃｏｄｅ", 'a"b'])


@given(params=st.dictionaries(names, plain | text | st.sampled_from(["١٢٣", "1.5", "-"]), max_size=4))
def test_pct_json_is_the_encoded_json_of_the_params(params: dict[str, str]) -> None:
    """Params of ASCII letters and digits written at once; any other as the JSON encoder writes them."""
    assert pct_json(params) == pct(to_json(params))


@settings(max_examples=200, deadline=None)
@given(
    phones=st.lists(st.sampled_from(["13800000000", "+85251234567", "+14155550123", "13912345678"]), min_size=1),
    params=st.dictionaries(st.sampled_from(["code", "name", "x y", "金额", "a*b"]), text, max_size=4),
    template=text.filter(bool),
    sign=text.filter(bool),
    out_id=maybe_text,
    extend_code=maybe_text,
)
def test_send_sms_requests_are_byte_identical_to_the_readable_signer(
    phones: list[str], params: dict[str, str], template: str, sign: str, out_id: str | None, extend_code: str | None
) -> None:
    p = provider()
    message = Message(phones, template, params, sign, out_id=out_id, extend_code=extend_code).normalised()
    request = p.build_request(message, message.phones)
    wire = ",".join(phone.national_number if phone.country_code == 86 else phone.digits for phone in message.phones)
    values = send_sms_params(wire, sign, template, to_json(params) if params else None, out_id, extend_code)
    signer = RpcSigner(AK, SECRET, host="dysmsapi.aliyuncs.com", version="2017-05-25")
    query, headers = signer.sign("SendSms", values, date=DATE, nonce=NONCE)
    assert request.url == f"https://dysmsapi.aliyuncs.com/?{query}"
    assert list(request.headers.items()) == list(headers.items())
    assert request.body == b""


@settings(max_examples=200, deadline=None)
@given(params=st.dictionaries(st.sampled_from(["code", "name", "x y", "金额", "a*b"]), text, max_size=4), sign=text)
def test_provider_v3_signature_verifies_in_the_reference(params: dict[str, str], sign: str) -> None:
    p = provider()
    message = Message(["13800000000"], template="SMS_1", params=params, sign_name=sign or "S").normalised()
    request = p.build_request(message, message.phones)
    # the server's view: decode the wire query, then recompute
    decoded = dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))
    assert decoded["SignName"] == (sign or "S")
    signed = {k: v for k, v in request.headers.items() if k != "authorization"}
    expected, _ = reference_v3_authorization("POST", decoded, signed, request.body, AK, SECRET)
    assert request.headers["authorization"] == expected


@settings(max_examples=100, deadline=None)
@given(params=st.dictionaries(st.sampled_from(["code", "名"]), text, max_size=3), sign=text.filter(bool))
def test_provider_rpc_signature_verifies_in_the_reference(params: dict[str, str], sign: str) -> None:
    p = provider(signature_version="v2")
    phones = (PhoneNumber.parse("13800000000"), PhoneNumber.parse("13900000000"))
    message = Message(phones, template="SMS_1", sign_name=sign, recipient_params={"13900000000": params}).normalised()
    request = p.build_request(message, phones)
    query = dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))
    form = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
    signature_sent = query.pop("Signature")
    assert reference_rpc_signature("POST", {**query, **form}, SECRET)[0] == signature_sent


@pytest.mark.parametrize("token", [None, "sts-token/with+odd=chars"])
@pytest.mark.parametrize("batch", [False, True])
def test_provider_v3_headers_match_the_reference(token: str | None, batch: bool) -> None:
    p = provider(security_token=token) if token else provider()
    phones = (PhoneNumber.parse("13800000000"), PhoneNumber.parse("+85291234567"))
    per = {"13800000000": {"code": "1"}} if batch else {}
    message = Message(phones, template="SMS_1", params={"x": "y z"}, recipient_params=per).normalised()
    request = p.build_request(message, phones)
    signed = {k: v for k, v in request.headers.items() if k != "authorization"}
    assert ("x-acs-security-token" in signed) is bool(token)
    query = dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))
    expected, _ = reference_v3_authorization("POST", query, signed, request.body, AK, SECRET)
    assert request.headers["authorization"] == expected
    assert v3_authorization(
        "POST", canonical_query(query), signed, request.headers["x-acs-content-sha256"], AK, SECRET
    ) == (expected)


@settings(max_examples=60, deadline=None)
@given(
    action=st.sampled_from(["SendSms", "SendBatchSms", "QuerySendDetails"]),
    params=st.dictionaries(st.sampled_from(["PhoneNumbers", "TemplateParam", "OutId"]), st.text(), max_size=3),
    repeated=st.dictionaries(st.sampled_from(["SignName", "TemplateCode"]), st.text(min_size=1), max_size=2),
    token=st.none() | st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1),
    body=st.binary(max_size=40),
)
def test_headers_prepared_per_action_sign_as_the_reference_does(
    action: str, params: dict[str, str], repeated: dict[str, str], token: str | None, body: bytes
) -> None:
    """The header lines and names prepared once per action, around the date, nonce and payload hash
    of each request, give the signature the emulator's independent implementation computes."""
    signer = RpcSigner(AK, SECRET, host="127.0.0.1:8080", version="2017-05-25", token=token)
    for nonce in ("n1", "n2"):  # the second request reuses what the first prepared
        canonical, headers = signer.sign(
            action, dict(params), date=DATE, nonce=nonce, body=body, repeated=tuple(repeated.items())
        )
        signed = {k: v for k, v in headers.items() if k != "authorization"}
        assert signed["x-acs-action"] == action and signed["x-acs-signature-nonce"] == nonce
        assert canonical == canonical_query({**params, **repeated})
        expected, _ = reference_v3_authorization("POST", {**params, **repeated}, signed, body, AK, SECRET)
        assert headers["authorization"] == expected


def test_headers_are_sent_in_the_prepared_order() -> None:
    """Each request's headers come in one order, the varying ones in place: what a hand-written
    client sends, so the requests are byte for byte the same."""
    signer = RpcSigner(AK, SECRET, host="h", version="2017-05-25")
    first = signer.sign("SendSms", {"PhoneNumbers": "1"}, date=DATE, nonce="n1")[1]
    second = signer.sign("SendSms", {"PhoneNumbers": "2"}, date=DATE, nonce="n2")[1]
    order = ["host", "accept", "content-type", "x-acs-action", "x-acs-content-sha256", "x-acs-date"]
    assert list(first) == list(second) == [*order, "x-acs-signature-nonce", "x-acs-version", "authorization"]
    assert first["x-acs-signature-nonce"] == "n1" and second["x-acs-signature-nonce"] == "n2"
    assert first["authorization"] != second["authorization"]


def test_v3_signs_alike_without_an_openssl_hmac_object(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where ``hmac.HMAC`` holds no OpenSSL object, its own copies sign, with the same signatures."""
    import hashlib
    import hmac

    from smsgate.providers import _acs

    class Plain:  # only the public methods of hmac.HMAC
        def __init__(self, mac: hmac.HMAC) -> None:
            self._mac = mac

        def copy(self) -> Plain:
            return Plain(self._mac.copy())

        def update(self, data: bytes) -> None:
            self._mac.update(data)

        def hexdigest(self) -> str:
            return self._mac.hexdigest()

    query = {"PhoneNumbers": "13800138000", "TemplateParam": '{"code":"1"}'}
    wanted = RpcSigner(AK, SECRET, host="h", version="v").sign("SendSms", dict(query), date=DATE, nonce="n")
    monkeypatch.setattr(_acs.hmac, "new", lambda key, digestmod: Plain(hmac.HMAC(key, digestmod=hashlib.sha256)))
    plain = RpcSigner(AK, SECRET, host="h", version="v")
    assert isinstance(plain._v3._keyed, Plain)
    assert plain.sign("SendSms", dict(query), date=DATE, nonce="n") == wanted
