import pytest

from smsgate import ConfigError, Gateway, Message
from smsgate.emulators import EMULATORS, create, serve

SECRET_KEYS = ("secret", "token", "password", "key")
MESSAGE = Message(to=["+8613800138000"], template="100001", text="Your code is ${code}", params={"code": "4821"})


@pytest.mark.parametrize("name", sorted(EMULATORS))
def test_every_emulator_accepts_its_provider_and_reports_no_credentials(name):
    with serve(create(name)) as emulator:
        settings = emulator.settings()
        with Gateway({name: settings}) as gateway:
            result = gateway.send(MESSAGE)
        [summary] = emulator.summaries()
    assert result.ok, result.to_dict()
    assert summary["phone"].endswith("13800138000")
    assert "4821" in str(summary.get("params", summary.get("text")))
    secrets = [str(v) for k, v in settings.items() if any(word in k for word in SECRET_KEYS)]
    assert secrets and not any(secret in str(summary) for secret in secrets)


@pytest.mark.parametrize("name", sorted(EMULATORS))
def test_an_emulator_refuses_wrong_credentials(name):
    with serve(create(name)) as emulator:
        settings = emulator.settings()
        for key in settings:
            if any(word in key for word in SECRET_KEYS):
                settings[key] = "bm90LXRoZS1zZWNyZXQ="  # wrong, and base64 for settings that must be
        with Gateway({name: settings}) as gateway:
            result = gateway.send(MESSAGE)
        assert not result.ok and emulator.summaries() == []


def test_an_unknown_emulator_is_named_with_a_suggestion():
    with pytest.raises(ConfigError, match=r"no emulator for 'aliyn' \(did you mean 'aliyun'\?\)"):
        create("aliyn")
