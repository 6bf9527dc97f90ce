import pytest

from smsgate import App, ConfigError
from smsgate.emulators import create, serve

from .helpers import write_element

TYPES = {"twilio": "SMS.Twilio", "vonage": "SMS.Vonage"}


@pytest.mark.parametrize("provider", sorted(TYPES))
def test_text_elements_take_from_as_documented_and_answer_code(tmp_path, provider):
    with serve(create(provider)) as emulator:
        settings = {k: str(v) for k, v in emulator.settings().items()}
        assert "from" in settings
        write_element(tmp_path, "Text", {"title": "t", "type": TYPES[provider], "backendBundleEntry": "."}, settings)
        with App(tmp_path) as app:
            element = app.getElement("SMS.Text")
            result = element.sendMessage(phoneList=["+14155552671"], params={"c": "77"}, text="code ${c}")
        assert result["Code"] == "OK" and result.result.ok
        assert emulator.summaries()[0]["from"] == settings["from"]


def test_a_development_sink_takes_another_types_sms_json(tmp_path):
    seed = {"accessKey": "k", "accessSecret": "s", "verifySign": "Acme", "endpoint": "http://127.0.0.1:9"}
    write_element(tmp_path, "Dev", {"title": "t", "type": "SMS.Memory", "backendBundleEntry": "."}, seed)
    with App(tmp_path) as app:
        result = app.getElement("SMS.Dev").sendMessage(phoneList=["13800138000"], params={}, verifyTemplateCode="T")
    assert result["Code"] == "OK" and result["ok"] is True


def test_a_development_sink_still_refuses_keys_no_type_knows(tmp_path):
    write_element(tmp_path, "Dev", {"title": "t", "type": "SMS.Console", "backendBundleEntry": "."}, {"speed": 1})
    with pytest.raises(ConfigError) as info:
        App(tmp_path)
    [problem] = info.value.problems
    assert problem.startswith("SMS/Dev/sms.json: speed: unknown key (known: stream")
