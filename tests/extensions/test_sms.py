import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import InvalidRequest, provider_class
from smsgate.extensions import SEND_SMS, Event, Platform, ProviderSmsExtension, SmsConfig, event_message


def event(**data):
    return Event(SEND_SMS, "t", "p", {"config_id": "c", "mobile": "13800138000", **data})


def test_any_core_provider_is_an_extension():
    extension = ProviderSmsExtension("tencent")
    platform = Platform()
    platform.register(extension)
    assert extension.package == "com.smsgate.sms.tencent" and extension.type == "sms"
    assert extension.settings_schema is provider_class("tencent").settings_model
    assert extension.config_schema is SmsConfig
    with pytest.raises(InvalidRequest):
        ProviderSmsExtension()


def test_the_memory_provider_as_an_extension_sends_through_the_core():
    platform = Platform()
    platform.register(ProviderSmsExtension("memory", package="com.dev.sms"))
    platform.save_settings("t", "com.dev.sms", {})
    config_id = platform.add_config("t", "com.dev.sms", {"text": "your code is ${code}", "template_params": ["code"]})
    outcomes = platform.dispatch(
        Event(SEND_SMS, "t", "com.dev.sms", {"config_id": config_id, "mobile": "13800138000", "code": "4321"})
    )
    outcome = outcomes["com.dev.sms"]
    assert outcome.ok and outcome.result["recipients"][0]["status"] == "accepted"
    [entry] = platform.gateway("memory", {}).providers["memory"].outbox
    assert (entry.to, entry.params) == ("+8613800138000", {"code": "4321"})


def test_event_message_maps_the_config():
    config = SmsConfig(
        sign_name="S", template_code="SMS_1", template_params=["code", "username"], out_id="o", sms_up_extend_code="9"
    )
    message = event_message(event(code="1", username="bob", extra="ignored"), config.model_dump())
    assert (message.template, message.sign_name, message.out_id, message.extend_code) == ("SMS_1", "S", "o", "9")
    assert message.params == {"code": "1", "username": "bob"}
    assert message.to == ("13800138000",)


def test_a_missing_template_param_is_46001_naming_it():
    with pytest.raises(InvalidRequest) as info:
        event_message(event(), {"template_code": "SMS_1", "template_params": ["code"]})
    assert info.value.code == 46001 and info.value.field == "data.code"


@given(st.sampled_from(["86", "+86", "852", "1"]), st.from_regex(r"[1-9][0-9]{5,10}", fullmatch=True))
def test_areacode_prefixes_only_numbers_without_a_country_code(areacode, number):
    config = {"template_code": "T", "template_params": []}
    plain = event_message(event(mobile=number, areacode=areacode), config)
    assert plain.to == (f"+{areacode.lstrip('+')}{number}",)
    given_code = event_message(event(mobile=f"+44{number}", areacode=areacode), config)
    assert given_code.to == (f"+44{number}",)
    assert event_message(event(mobile=number), config).to == (number,)
