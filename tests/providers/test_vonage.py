"""Vonage over real HTTP against the fake SMS API, through both gateways."""

from __future__ import annotations

import base64
import json
import logging
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Category, ConfigError, HttpResponse, InvalidRequest, Message, Status
from smsgate.providers.vonage import VonageProvider, is_gsm7
from tests.fakes.gateways import Driver, doc_examples
from tests.fakes.twilio import FakeTwilio
from tests.fakes.vonage import API_SECRET, FakeVonage, septets

US = ["+14155550101", "+14155550102", "+14155550103"]


def provider(fake: FakeVonage, **overrides: str) -> VonageProvider:
    return VonageProvider(fake.settings(**overrides))


@pytest.mark.parametrize("auth", ["form", "basic"])
async def test_sends_rendered_text(vonage_fake: FakeVonage, gateway: Driver, auth: str) -> None:
    p = provider(vonage_fake, auth=auth, callback="https://example.com/dlr")
    message = Message(to=US[0], text="Code ${code}", params={"code": "4711"}, out_id="order-7")
    result = await gateway.send([p], message)
    assert result.ok
    (sent,) = vonage_fake.delivered
    assert sent["to"] == "14155550101" and sent["from"] == "smsgate" and sent["text"] == "Code 4711"
    assert sent["client-ref"] == "order-7" and sent["callback"] == "https://example.com/dlr"
    assert "type" not in sent and ("api_secret" in sent) == (auth == "form")
    assert result[US[0]].message_id == sent["message-id"]


async def test_three_numbers_make_three_requests(vonage_fake: FakeVonage, gateway: Driver) -> None:
    result = await gateway.send([provider(vonage_fake)], Message(to=US, text="hello"))
    assert result.ok and [r.phone.e164 for r in result.recipients] == US
    assert vonage_fake.server is not None and len(vonage_fake.server.requests) == 3
    assert sorted(d["to"] for d in vonage_fake.delivered) == [p[1:] for p in US]


@pytest.mark.parametrize(
    ("text", "unicode"),
    [("Grüße, 10€ {ok} [ß]", False), ("验证码 1234", True), ("emoji 🙂", True), ("café Ç", False), ("ç", True)],
)
async def test_unicode_only_when_the_text_is_not_gsm7(
    vonage_fake: FakeVonage, gateway: Driver, text: str, unicode: bool
) -> None:
    result = await gateway.send([provider(vonage_fake)], Message(to=US[0], text=text))
    assert result.ok
    (sent,) = vonage_fake.delivered
    assert sent["text"] == text and (sent.get("type") == "unicode") is unicode


async def test_a_long_text_in_parts_reports_the_first_part(vonage_fake: FakeVonage, gateway: Driver) -> None:
    result = await gateway.send([provider(vonage_fake)], Message(to=US[0], text="验" * 100))
    (sent,) = vonage_fake.delivered
    assert result.ok and sent["parts"] == "2" and result[US[0]].message_id == sent["message-id"]


async def test_throttled_request_is_retried(vonage_fake: FakeVonage, gateway: Driver) -> None:
    vonage_fake.throttle(times=1)
    result = await gateway.send([provider(vonage_fake)], Message(to=US[0], text="hi"))
    assert result.ok and len(vonage_fake.delivered) == 1
    assert vonage_fake.server is not None and len(vonage_fake.server.requests) == 2
    assert len(gateway.sleeps) == 1
    first = result.attempts[0].error
    assert first is not None and first.category is Category.THROTTLED and first.provider_code == "1"


async def test_one_failing_number_among_three(vonage_fake: FakeVonage, gateway: Driver) -> None:
    vonage_fake.fail_phone(US[2], status="29", text="Non White-listed Destination")
    result = await gateway.send([provider(vonage_fake)], Message(to=US, text="hi"))
    assert [r.status for r in result.recipients] == [Status.ACCEPTED, Status.ACCEPTED, Status.REJECTED]
    error = result[US[2]].error
    assert error is not None and error.category is Category.RECIPIENT and error.provider_code == "29"
    assert error.provider_message == "Non White-listed Destination"


async def test_a_refused_later_part_is_an_unknown_outcome(vonage_fake: FakeVonage, gateway: Driver) -> None:
    vonage_fake.fail_phone(US[0], status="1", text="Throttled", part=1)
    result = await gateway.send([provider(vonage_fake)], Message(to=US[0], text="x" * 200))
    row = result[US[0]]
    assert row.status is Status.UNKNOWN and row.error is not None and "1 of 2 parts sent" in row.error.message
    assert vonage_fake.server is not None and len(vonage_fake.server.requests) == 1  # never resent


async def test_internal_error_is_retried_as_documented_safe(vonage_fake: FakeVonage, gateway: Driver) -> None:
    vonage_fake.fail_phone(US[0], status="5", text="Internal Error")
    result = await gateway.send([provider(vonage_fake)], Message(to=US[0], text="hi"))
    error = result[US[0]].error
    assert error is not None and error.retryable and error.failover and result[US[0]].status is Status.REJECTED
    assert vonage_fake.server is not None and len(vonage_fake.server.requests) == 3


@pytest.mark.parametrize("auth", ["form", "basic"])
async def test_bad_credentials_are_an_auth_rejection(vonage_fake: FakeVonage, gateway: Driver, auth: str) -> None:
    result = await gateway.send([provider(vonage_fake, auth=auth, api_secret="wrong")], Message(to=US, text="hi"))
    for row in result.recipients:
        assert row.error is not None and row.error.category is Category.AUTH and row.error.provider_code == "4"
    assert vonage_fake.delivered == []


async def test_server_error_is_an_unknown_outcome_not_retried(vonage_fake: FakeVonage, gateway: Driver) -> None:
    assert vonage_fake.server is not None
    vonage_fake.server.fail_next(status=503, text="upstream down", after=True)
    result = await gateway.send([provider(vonage_fake)], Message(to=US[0], text="hi"))
    assert result[US[0]].status is Status.UNKNOWN
    assert len(vonage_fake.server.requests) == 1 and len(vonage_fake.delivered) == 1


async def test_missing_text_param_sends_nothing(vonage_fake: FakeVonage, gateway: Driver) -> None:
    with pytest.raises(InvalidRequest) as info:
        await gateway.send([provider(vonage_fake)], Message(to=US, text="hi ${name}"))
    assert info.value.code == 46001 and "'name'" in str(info.value)
    assert vonage_fake.server is not None and vonage_fake.server.requests == []


async def test_long_client_ref_sends_nothing(vonage_fake: FakeVonage, gateway: Driver) -> None:
    with pytest.raises(InvalidRequest) as info:
        await gateway.send([provider(vonage_fake)], Message(to=US[0], text="hi", out_id="r" * 101))
    assert info.value.field == "out_id" and vonage_fake.delivered == []


@pytest.mark.parametrize("auth", ["form", "basic"])
async def test_secrets_stay_out_of_errors_reprs_and_logs(
    vonage_fake: FakeVonage, gateway: Driver, auth: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bad = "s3cret-wrong"
    p = provider(vonage_fake, auth=auth, api_secret=bad)
    result = await gateway.send([p], Message(to=US[0], text="hi"))
    error = result[US[0]].error
    assert error is not None
    request = p.build_request(Message(to=US[0], text="hi").normalised(), [result.recipients[0].phone])
    basic = base64.b64encode(f"{vonage_fake.api_key}:{bad}".encode()).decode()
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
        assert bad not in text and basic not in text and API_SECRET not in text


def test_settings_are_validated() -> None:
    with pytest.raises(ConfigError) as info:
        VonageProvider(api_key="k", api_secret="sec-123", **{"from": "x"}, auth="digest")
    assert "auth" in str(info.value) and "sec-123" not in str(info.value)
    with pytest.raises(ConfigError) as info:
        VonageProvider(api_key="k", api_secret="sec-123", **{"from": "x"}, signature_secret="s")
    assert "signature_secret: unknown setting" in str(info.value)


@pytest.mark.parametrize(
    ("status", "category", "retryable"),
    [
        ("1", Category.THROTTLED, True),
        ("2", Category.INVALID, False),
        ("4", Category.AUTH, False),
        ("5", Category.UNREACHABLE, True),
        ("6", Category.RECIPIENT, False),
        ("7", Category.RECIPIENT, False),
        ("9", Category.QUOTA, False),
        ("10", Category.THROTTLED, True),
        ("15", Category.TEMPLATE, False),
        ("33", Category.RECIPIENT, False),
    ],
)
def test_statuses_are_classified(status: str, category: Category, retryable: bool) -> None:
    p = VonageProvider(api_key="k", api_secret="s", **{"from": "x"})
    message = Message(to=US[0], text="hi").normalised()
    request = p.build_request(message, message.phones)
    body = json.dumps({"message-count": "1", "messages": [{"status": status, "error-text": "e"}]}).encode()
    with pytest.raises(Exception) as info:
        p.parse(request, HttpResponse(200, {}, body))
    error = info.value
    assert (error.category, error.retryable, error.provider_code) == (category, retryable, status)  # type: ignore[attr-defined]


_MIXED = st.text(
    st.one_of(st.sampled_from("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà^{}\\[~]|€\f\x1bçÀ`"), st.characters()),
    max_size=200,
)


@given(_MIXED)
def test_gsm7_detection_agrees_with_the_fake(text: str) -> None:
    assert is_gsm7(text) == (septets(text) is not None)


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=300))
def test_any_text_survives_the_form_encoding(text: str) -> None:
    p = VonageProvider(api_key="k", api_secret="s", **{"from": "x"})
    message = Message(to=US[0], text="$$ ${t}", params={"t": text}).normalised()
    form = dict(parse_qsl(p.build_request(message, message.phones).body.decode(), keep_blank_values=True))
    assert form["text"] == "$ " + text and form["to"] == "14155550101"
    assert (form.get("type") == "unicode") is not is_gsm7(form["text"])


def test_docs_example_runs(vonage_fake: FakeVonage, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("smsgate.providers.vonage.VonageProvider.default_endpoint", vonage_fake.endpoint)
    monkeypatch.setenv("VONAGE_API_KEY", vonage_fake.api_key)
    monkeypatch.setenv("VONAGE_API_SECRET", vonage_fake.api_secret)
    (example,) = doc_examples("providers/vonage.md")
    exec(example, {})
    (sent,) = vonage_fake.delivered
    assert sent["text"] == "Hi Zoë, your code is 4711" and sent["client-ref"] == "signup-42"


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [(None, "https://rest.nexmo.com"), ("127.0.0.1:8080", "http://127.0.0.1:8080"), ("http://h:1/", "http://h:1")],
)
def test_endpoint_takes_host_host_port_or_url(endpoint: str | None, url: str) -> None:
    p = VonageProvider(api_key="k", api_secret="s", endpoint=endpoint, **{"from": "x"})
    message = Message(to=US[0], text="hi").normalised()
    assert p.build_request(message, message.phones).url == f"{url}/sms/json"


async def test_auth_failure_fails_over_to_the_next_provider(
    vonage_fake: FakeVonage, twilio_fake: FakeTwilio, gateway: Driver
) -> None:
    providers = {"vonage": vonage_fake.settings(api_secret="wrong"), "twilio": twilio_fake.settings()}
    result = await gateway.send(providers, Message(to=US[:2], text="hi"))
    assert result.ok and {r.provider for r in result.recipients} == {"twilio"}
    assert vonage_fake.delivered == [] and len(twilio_fake.delivered) == 2
