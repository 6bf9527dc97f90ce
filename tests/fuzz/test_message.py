"""Fuzzed messages through every provider: the only exceptions are typed smsgate errors."""

import orjson
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from smsgate import Gateway, HttpResponse, Message, MockTransport, SmsError, SQLiteStore

from .strategies import message_fields

SETTINGS = {
    "aliyun": {"access_key_id": "ak", "access_key_secret": "sk", "sign_name": "Acme"},
    "aliyun-v2": {"provider": "aliyun", "access_key_id": "ak", "access_key_secret": "sk", "signature_version": "v2"},
    "tencent": {"secret_id": "id", "secret_key": "k", "sdk_app_id": "1400000000", "sign_name": "Acme"},
    "huawei": {"app_key": "k", "app_secret": "s", "sender": "8824110605000"},
    "twilio": {"account_sid": "AC1", "auth_token": "t", "from": "+15005550006"},
    "sns": {"access_key_id": "AKID", "secret_access_key": "s"},
    "vonage": {"api_key": "k", "api_secret": "s", "from": "Acme"},
    "plivo": {"auth_id": "MA1", "auth_token": "t", "from": "+14155550100"},
    "bandwidth": {"account_id": "99", "username": "u", "password": "p", "application_id": "a", "from": "+19195550100"},
    "infobip": {"api_key": "k", "sender": "InfoSMS", "endpoint": "https://x.api.infobip.com"},
    "messagebird": {"access_key": "k", "originator": "Acme"},
    "sinch": {"service_plan_id": "c0ffee00", "api_token": "t", "from": "+14155550100"},
    "telnyx": {"api_key": "k", "from": "+18665550001"},
    "memory": {},
}
OK = HttpResponse(200, {}, orjson.dumps({"Code": "OK"}))


@pytest.mark.parametrize("wild", [False, True], ids=["documented-types", "anything"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_message_is_sent_or_refused_with_a_typed_error(wild, data):
    fields = data.draw(message_fields(wild), label="fields")
    transport = MockTransport(lambda request: OK)
    with Gateway(SETTINGS, transport=transport, send_log=SQLiteStore(":memory:"), store=SQLiteStore(":memory:")) as g:
        try:
            message = Message(**fields)
        except SmsError as exc:
            assert exc.code == 46001 and exc.field
            event("refused at construction")
            return
        for name in SETTINGS:
            try:
                result = g.send(message, providers=[name])
            except SmsError as exc:
                assert exc.code in (46001, 46004)
                event(f"refused by the gateway: {exc.code}")
                continue
            event(f"sent: {'all accepted' if result.ok else 'some not accepted'}")
            assert len(result.recipients) >= 1
            assert all(r.ok or isinstance(r.error, SmsError) for r in result.recipients)
