import pytest

from smsgate import App, ConfigError, MockTransport
from smsgate.elements import SmsElement

from .helpers import write_element

DEV = {"title": "dev", "type": "SMS.Memory", "backendBundleEntry": "."}


def test_get_element_in_both_spellings(tmp_path):
    write_element(tmp_path, "Dev", DEV)
    with App(tmp_path) as app:
        assert isinstance(app.getElement("SMS.Dev"), SmsElement)
        assert app.getElement("SMS.Dev") is app.get_element("SMS.Dev")
        assert repr(app).endswith("elements=['SMS.Dev']>")


def test_unknown_elements_name_the_known_ones(tmp_path):
    write_element(tmp_path, "Dev", DEV)
    app = App(tmp_path)
    with pytest.raises(ConfigError) as info:
        app.getElement("SMS.Nope")
    assert "SMS.Dev" in str(info.value) and info.value.code == 46010
    with pytest.raises(ConfigError):
        app.getElement("Dev")  # the SMS. prefix is part of the name


def test_an_app_without_sms_elements_is_empty(tmp_path):
    assert App(tmp_path).elements == {}


def test_options_reach_the_core_gateway(tmp_path):
    write_element(tmp_path, "Dev", DEV)
    transport = MockTransport(lambda request: None)
    with App(tmp_path, transport=transport, default_region="HK") as app:
        element = app.getElement("SMS.Dev")
        element.sendMessage(phoneList=["51234567"], params={}, verifyTemplateCode="T")
        assert element.provider.outbox[0].to == "+85251234567"
        assert element._gateway.transport is transport


async def test_async_close(tmp_path):
    write_element(tmp_path, "Dev", DEV)
    async with App(tmp_path) as app:
        result = await app.getElement("SMS.Dev").asend_message(phone_list=["13800138000"], params={}, template_code="T")
        assert result["ok"]
