"""AWS SNS over real HTTP: against moto's server, and against a fake that verifies SigV4."""

from __future__ import annotations

import json
import logging
import sys
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate import Category, ConfigError, HttpResponse, InvalidRequest, Message, Status
from smsgate.providers.sns import SnsProvider
from tests.fakes.gateways import Driver, doc_examples
from tests.fakes.moto_server import MotoSns
from tests.fakes.server import Received
from tests.fakes.sns import ACCESS_KEY, SECRET_KEY, FakeSns

US = ["+14155550101", "+14155550102", "+14155550103"]


# -- against moto ------------------------------------------------------------------------------


async def test_moto_records_the_rendered_text(moto_sns: MotoSns, gateway: Driver) -> None:
    message = Message(to=US[0], text="Your code is ${code}", params={"code": "4711"})
    result = await gateway.send([SnsProvider(moto_sns.settings())], message)
    assert result.ok
    assert moto_sns.sms == {result[US[0]].message_id: (US[0], "Your code is 4711")}


async def test_moto_three_numbers_make_three_publishes(moto_sns: MotoSns, gateway: Driver) -> None:
    result = await gateway.send([SnsProvider(moto_sns.settings())], Message(to=US, text="héllo ✓"))
    assert result.ok and [r.phone.e164 for r in result.recipients] == US
    assert {r.message_id: (r.phone.e164, "héllo ✓") for r in result.recipients} == moto_sns.sms


# -- against the SigV4-verifying fake ------------------------------------------------------------


def provider(fake: FakeSns, **overrides: str) -> SnsProvider:
    return SnsProvider(fake.settings(**overrides))


async def test_signed_publish_with_sms_attributes(sns_fake: FakeSns, gateway: Driver) -> None:
    p = provider(sns_fake, sender_id="SMSGATE", sms_type="Promotional", origination_number="+14155550199")
    result = await gateway.send([p], Message(to=US[0], text="hi ${n}", params={"n": "there"}))
    assert result.ok
    (sent,) = sns_fake.delivered
    assert sent["PhoneNumber"] == US[0] and sent["Message"] == "hi there"
    attributes = {
        sent[f"MessageAttributes.entry.{i}.Name"]: sent[f"MessageAttributes.entry.{i}.Value.StringValue"]
        for i in (1, 2, 3)
    }
    assert attributes == {
        "AWS.SNS.SMS.SMSType": "Promotional",
        "AWS.SNS.SMS.SenderID": "SMSGATE",
        "AWS.MM.SMS.OriginationNumber": "+14155550199",
    }
    assert result[US[0]].message_id == sent["MessageId"]


async def test_session_token_is_sent_and_signed(sns_fake: FakeSns, gateway: Driver) -> None:
    sns_fake.tokens[ACCESS_KEY] = "session-token-xyz"
    result = await gateway.send([provider(sns_fake, session_token="session-token-xyz")], Message(to=US[0], text="hi"))
    assert result.ok
    missing = await gateway.send([provider(sns_fake)], Message(to=US[0], text="hi"))
    error = missing[US[0]].error
    assert error is not None and error.category is Category.AUTH and error.provider_code == "InvalidClientTokenId"


async def test_throttling_is_retried_after_retry_after(sns_fake: FakeSns, gateway: Driver) -> None:
    sns_fake.throttle(times=1, retry_after="3")
    result = await gateway.send([provider(sns_fake)], Message(to=US[0], text="hi"))
    assert result.ok and len(sns_fake.delivered) == 1 and gateway.sleeps == [3.0]
    first = result.attempts[0].error
    assert first is not None and first.provider_code == "Throttling" and first.retryable


async def test_one_failing_number_among_three(sns_fake: FakeSns, gateway: Driver) -> None:
    sns_fake.fail_phone(US[1])
    result = await gateway.send([provider(sns_fake)], Message(to=US, text="hi"))
    assert [r.status for r in result.recipients] == [Status.ACCEPTED, Status.REJECTED, Status.ACCEPTED]
    error = result[US[1]].error
    assert error is not None and error.category is Category.RECIPIENT and error.provider_code == "InvalidParameter"
    assert sorted(d["PhoneNumber"] for d in sns_fake.delivered) == [US[0], US[2]]


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"secret_access_key": "wrong"}, "SignatureDoesNotMatch"),
        ({"access_key_id": "AKIDUNKNOWN"}, "InvalidClientTokenId"),
        ({"region": "us-west-2"}, "SignatureDoesNotMatch"),
    ],
    ids=["bad-secret", "unknown-key", "wrong-region"],
)
async def test_bad_credentials_are_an_auth_rejection(
    sns_fake: FakeSns, gateway: Driver, overrides: dict[str, str], code: str
) -> None:
    result = await gateway.send([provider(sns_fake, **overrides)], Message(to=US, text="hi"))
    for row in result.recipients:
        assert row.error is not None and row.error.category is Category.AUTH and row.error.provider_code == code
    assert sns_fake.delivered == []


async def test_a_skewed_clock_is_refused(sns_fake: FakeSns, gateway: Driver) -> None:
    p = SnsProvider(sns_fake.settings(), clock=lambda: time.time() - 3600)
    result = await gateway.send([p], Message(to=US[0], text="hi"))
    error = result[US[0]].error
    assert error is not None and error.provider_code == "RequestExpired" and sns_fake.delivered == []


async def test_server_error_is_an_unknown_outcome_not_retried(sns_fake: FakeSns, gateway: Driver) -> None:
    assert sns_fake.server is not None
    xml = "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code><Message>oops</Message></Error>"
    xml += "</ErrorResponse>"
    sns_fake.server.fail_next(status=500, text=xml, after=True)
    result = await gateway.send([provider(sns_fake)], Message(to=US[0], text="hi"))
    row = result[US[0]]
    assert row.status is Status.UNKNOWN and row.error is not None and row.error.provider_code == "InternalError"
    assert len(sns_fake.server.requests) == 1 and len(sns_fake.delivered) == 1


async def test_missing_text_param_sends_nothing(sns_fake: FakeSns, gateway: Driver) -> None:
    with pytest.raises(InvalidRequest) as info:
        await gateway.send([provider(sns_fake)], Message(to=US, text="${code}"))
    assert info.value.code == 46001 and "'code'" in str(info.value)
    assert sns_fake.server is not None and sns_fake.server.requests == []


async def test_secrets_stay_out_of_errors_reprs_and_logs(
    sns_fake: FakeSns, gateway: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret, token = "wJalrXUtnFEMI-wrong-secret", "session-token-abc"
    p = provider(sns_fake, secret_access_key=secret, session_token=token)
    result = await gateway.send([p], Message(to=US[0], text="hi"))
    error = result[US[0]].error
    assert error is not None
    request = p.build_request(Message(to=US[0], text="hi").normalised(), [result.recipients[0].phone])
    shown = [
        str(error),
        repr(error),
        json.dumps(error.to_dict()),
        repr(p),
        repr(p.settings),
        repr(result),
        repr(request),
    ]
    for text in shown:
        assert secret not in text and token not in text and SECRET_KEY not in text


def test_settings_are_validated() -> None:
    with pytest.raises(ConfigError) as info:
        SnsProvider(access_key_id="AK", secret_access_key="sk-123", sms_type="Urgent")
    assert "sms_type" in str(info.value) and "sk-123" not in str(info.value)
    with pytest.raises(ConfigError) as info:
        SnsProvider(access_key_id="AK", secret_access_key="sk-123", topic="t")
    assert "topic: unknown setting" in str(info.value)


def test_default_endpoint_follows_the_region() -> None:
    message = Message(to=US[0], text="hi").normalised()
    for region, host in [
        ("eu-west-1", "sns.eu-west-1.amazonaws.com"),
        ("cn-north-1", "sns.cn-north-1.amazonaws.com.cn"),
    ]:
        request = SnsProvider(access_key_id="AK", secret_access_key="s", region=region).build_request(
            message, message.phones
        )
        assert request.url == f"https://{host}/"


def _xml_error(code: str, message: str) -> str:
    return f"<ErrorResponse><Error><Code>{code}</Code><Message>{message}</Message></Error></ErrorResponse>"


@pytest.mark.parametrize(
    ("status", "body", "category", "retryable"),
    [
        (400, _xml_error("Throttling", "Rate exceeded"), Category.THROTTLED, True),
        (403, _xml_error("AuthorizationError", "no"), Category.AUTH, False),
        (400, _xml_error("InvalidParameter", "Invalid parameter: Message"), Category.INVALID, False),
        (400, _xml_error("InvalidParameter", "Invalid parameter: PhoneNumber"), Category.RECIPIENT, False),
        (503, "Service Unavailable", Category.UNKNOWN, False),
        (
            200,
            '<!DOCTYPE x [<!ENTITY a "b">]><PublishResponse><MessageId>&a;</MessageId></PublishResponse>',
            Category.UNKNOWN,
            False,
        ),
    ],
    ids=["throttling", "authorization", "invalid-parameter", "invalid-phone", "503", "doctype"],
)
def test_errors_are_classified(status: int, body: str, category: Category, retryable: bool) -> None:
    p = SnsProvider(access_key_id="AK", secret_access_key="s")
    message = Message(to=US[0], text="hi").normalised()
    with pytest.raises(Exception) as info:
        p.parse(p.build_request(message, message.phones), HttpResponse(status, {}, body.encode()))
    assert (info.value.category, info.value.retryable) == (category, retryable)  # type: ignore[attr-defined]


@settings(max_examples=150)
@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=200))
def test_any_text_is_signed_so_the_verifier_accepts_it(text: str) -> None:
    fake = FakeSns()
    p = SnsProvider(fake.settings(endpoint="http://127.0.0.1:8443"))
    message = Message(to=US[0], text="${t}", params={"t": text}).normalised()
    request = p.build_request(message, message.phones)
    headers = {k.lower(): v for k, v in request.headers.items()} | {"host": urlsplit(request.url).netloc}
    received = Received("POST", "/", [], headers, request.body)
    assert fake.verify(received) is None
    assert dict(parse_qsl(request.body.decode()))["Message"] == text


def test_docs_example_runs(moto_sns: MotoSns, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("smsgate.providers.sns.default_endpoint", lambda region: moto_sns.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-checked-by-moto")
    (example,) = doc_examples("providers/sns.md")
    exec(example, {})
    assert list(moto_sns.sms.values()) == [("+14155550101", "Your code is 4711")]


def test_without_botocore_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "botocore.auth", None)
    with pytest.raises(ConfigError, match=r"smsgate\[aws\]"):
        SnsProvider(access_key_id="AK", secret_access_key="s")
