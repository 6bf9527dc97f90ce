"""Twilio over real HTTP against the fake Messages API, through both gateways."""

from __future__ import annotations

import base64
import logging
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Category, ConfigError, HttpResponse, InvalidRequest, Message, Status
from smsgate.providers.twilio import TwilioProvider
from tests.fakes.gateways import Driver, doc_examples
from tests.fakes.twilio import API_KEY_SECRET, API_KEY_SID, AUTH_TOKEN, FakeTwilio

US = ["+14155550101", "+14155550102", "+14155550103"]


def provider(fake: FakeTwilio, **overrides: str) -> TwilioProvider:
    return TwilioProvider(fake.settings(**overrides))


async def test_sends_rendered_text_and_reports_the_sid(twilio_fake: FakeTwilio, gateway: Driver) -> None:
    callback = "https://example.com/twilio/status"
    message = Message(to=[US[0]], text="Your code is ${code}", params={"code": "4711"})
    result = await gateway.send([provider(twilio_fake, status_callback=callback)], message)
    assert result.ok
    (sent,) = twilio_fake.delivered
    assert sent["To"] == US[0] and sent["From"] == "+15005550006"
    assert sent["Body"] == "Your code is 4711" and sent["StatusCallback"] == callback
    assert result[US[0]].message_id == sent["sid"] and result[US[0]].provider == "twilio"


async def test_three_numbers_make_three_requests(twilio_fake: FakeTwilio, gateway: Driver) -> None:
    result = await gateway.send([provider(twilio_fake)], Message(to=US, text="hello"))
    assert result.ok and [r.phone.e164 for r in result.recipients] == US
    assert twilio_fake.server is not None and len(twilio_fake.server.requests) == 3
    assert sorted(d["To"] for d in twilio_fake.delivered) == US
    assert len({r.message_id for r in result.recipients}) == 3


async def test_api_key_and_messaging_service(twilio_fake: FakeTwilio, gateway: Driver) -> None:
    p = TwilioProvider(
        account_sid=twilio_fake.account_sid,
        api_key_sid=API_KEY_SID,
        auth_token=API_KEY_SECRET,
        messaging_service_sid="MG" + "c3" * 16,
        endpoint=twilio_fake.endpoint,
    )
    result = await gateway.send([p], Message(to=US[0], text="hi"))
    assert result.ok
    (sent,) = twilio_fake.delivered
    assert "From" not in sent and sent["MessagingServiceSid"].startswith("MG")


async def test_throttled_request_is_retried_after_retry_after(twilio_fake: FakeTwilio, gateway: Driver) -> None:
    twilio_fake.throttle(times=1, retry_after="2")
    result = await gateway.send([provider(twilio_fake)], Message(to=US[0], text="hi"))
    assert result.ok and len(twilio_fake.delivered) == 1
    assert gateway.sleeps == [2.0]
    assert [(a.number, a.status) for a in result.attempts] == [(1, Status.REJECTED), (2, Status.ACCEPTED)]
    assert result.attempts[0].error is not None and result.attempts[0].error.provider_code == "20429"


async def test_throttling_that_persists_is_reported(twilio_fake: FakeTwilio, gateway: Driver) -> None:
    twilio_fake.throttle(times=5)
    result = await gateway.send([provider(twilio_fake)], Message(to=US[0], text="hi"))
    error = result[US[0]].error
    assert error is not None and error.category is Category.THROTTLED and error.retryable
    assert len(result.attempts) == 3 and twilio_fake.delivered == []


async def test_one_failing_number_among_three(twilio_fake: FakeTwilio, gateway: Driver) -> None:
    twilio_fake.fail_phone(US[1], code=21610, message="Attempt to send to unsubscribed recipient")
    result = await gateway.send([provider(twilio_fake)], Message(to=US, text="hi"))
    assert [r.status for r in result.recipients] == [Status.ACCEPTED, Status.REJECTED, Status.ACCEPTED]
    error = result[US[1]].error
    assert error is not None and error.category is Category.RECIPIENT and error.provider_code == "21610"
    assert error.provider_message == "Attempt to send to unsubscribed recipient"
    assert sorted(d["To"] for d in twilio_fake.delivered) == [US[0], US[2]]


@pytest.mark.parametrize(
    "overrides",
    [{"auth_token": "wrong-token"}, {"account_sid": "AC" + "0" * 32}, {"api_key_sid": API_KEY_SID}],
    ids=["bad-token", "other-account", "key-with-account-token"],
)
async def test_bad_credentials_are_an_auth_rejection(
    twilio_fake: FakeTwilio, gateway: Driver, overrides: dict[str, str]
) -> None:
    result = await gateway.send([provider(twilio_fake, **overrides)], Message(to=US, text="hi"))
    for row in result.recipients:
        assert row.status is Status.REJECTED
        assert row.error is not None and row.error.category is Category.AUTH and row.error.provider_code == "20003"
    assert twilio_fake.delivered == []


async def test_server_error_is_an_unknown_outcome_not_retried(twilio_fake: FakeTwilio, gateway: Driver) -> None:
    assert twilio_fake.server is not None
    body = {"code": 20500, "message": "Internal Server Error", "more_info": "", "status": 500}
    twilio_fake.server.fail_next(status=500, json=body, after=True)
    result = await gateway.send([provider(twilio_fake)], Message(to=US[0], text="hi"))
    row = result[US[0]]
    assert row.status is Status.UNKNOWN and row.error is not None and row.error.provider_code == "20500"
    assert len(twilio_fake.server.requests) == 1 and len(twilio_fake.delivered) == 1  # it did go out


async def test_missing_text_param_sends_nothing(twilio_fake: FakeTwilio, gateway: Driver) -> None:
    with pytest.raises(InvalidRequest) as info:
        await gateway.send([provider(twilio_fake)], Message(to=US, text="code ${code}, ${name}", params={"code": 1}))
    assert info.value.code == 46001 and "'name'" in str(info.value) and info.value.field == "params"
    assert twilio_fake.server is not None and twilio_fake.server.requests == []


async def test_text_over_1600_characters_sends_nothing(twilio_fake: FakeTwilio, gateway: Driver) -> None:
    with pytest.raises(InvalidRequest) as info:
        await gateway.send([provider(twilio_fake)], Message(to=US[0], text="x" * 1601))
    assert info.value.field == "text" and twilio_fake.delivered == []


async def test_secrets_stay_out_of_errors_reprs_and_logs(
    twilio_fake: FakeTwilio, gateway: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bad = "s3cret-wrong-token"
    p = provider(twilio_fake, auth_token=bad)
    result = await gateway.send([p], Message(to=US[0], text="hi"))
    basic = base64.b64encode(f"{twilio_fake.account_sid}:{bad}".encode()).decode()
    error = result[US[0]].error
    assert error is not None
    request = p.build_request(Message(to=US[0], text="hi").normalised(), [result.recipients[0].phone])
    shown = [
        caplog.text,
        str(error),
        repr(error),
        str(error.to_dict()),
        repr(p),
        repr(p.settings),
        repr(result),
        repr(request),
    ]
    for text in shown:
        assert bad not in text and basic not in text and AUTH_TOKEN not in text


def test_settings_are_validated() -> None:
    with pytest.raises(ConfigError) as info:
        TwilioProvider(account_sid="AC1", auth_token="tok-123", sender="+1")
    assert "sender: unknown setting" in str(info.value)
    with pytest.raises(ConfigError) as info:
        TwilioProvider(account_sid="AC1", auth_token="tok-123")
    assert "'from' or 'messaging_service_sid'" in str(info.value) and "tok-123" not in str(info.value)


@pytest.mark.parametrize(
    ("status", "code", "category", "retryable"),
    [
        (429, 20429, Category.THROTTLED, True),
        (429, 63038, Category.THROTTLED, False),
        (401, 20003, Category.AUTH, False),
        (400, 21211, Category.RECIPIENT, False),
        (400, 21614, Category.RECIPIENT, False),
        (400, 21606, Category.TEMPLATE, False),
        (400, 21617, Category.INVALID, False),
        (503, 20503, Category.UNKNOWN, False),
    ],
)
def test_error_codes_are_classified(status: int, code: int, category: Category, retryable: bool) -> None:
    p = TwilioProvider(account_sid="AC1", auth_token="t", **{"from": "+15005550006"})
    response = HttpResponse(status, {}, f'{{"code": {code}, "message": "m", "status": {status}}}'.encode())
    error = p.error(response, response.json())
    assert (error.category, error.retryable, error.provider_code) == (category, retryable, str(code))


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=300))
def test_any_text_survives_the_form_encoding(text: str) -> None:
    p = TwilioProvider(account_sid="AC1", auth_token="t", **{"from": "+15005550006"})
    message = Message(to="+14155550101", text="${t}", params={"t": text}).normalised()
    request = p.build_request(message, message.phones)
    form = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
    assert form["Body"] == text and form["To"] == "+14155550101"


def test_docs_example_runs(twilio_fake: FakeTwilio, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("smsgate.providers.twilio.TwilioProvider.default_endpoint", twilio_fake.endpoint)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", twilio_fake.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", twilio_fake.auth_token)
    (example,) = doc_examples("providers/twilio.md")
    exec(example, {})
    assert [d["Body"] for d in twilio_fake.delivered] == ["Your code is 4711"] * 2


def test_from_can_be_given_as_from_() -> None:
    p = TwilioProvider(account_sid="AC1", auth_token="t", from_="+15005550006")
    assert p.settings.from_ == "+15005550006"


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        (None, "https://api.twilio.com"),
        ("api.dublin.ie1.twilio.com", "https://api.dublin.ie1.twilio.com"),
        ("127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.0.0.1:8080/prefix/", "http://127.0.0.1:8080/prefix"),
    ],
)
def test_endpoint_takes_host_host_port_or_url(endpoint: str | None, url: str) -> None:
    p = TwilioProvider(account_sid="AC1", auth_token="t", endpoint=endpoint, **{"from": "+15005550006"})
    message = Message(to=US[0], text="hi").normalised()
    assert p.build_request(message, message.phones).url == f"{url}/2010-04-01/Accounts/AC1/Messages.json"
