import pytest
from pydantic import BaseModel, SecretStr

from smsgate import ConfigError, InvalidRequest
from smsgate.extensions import SEND_SMS, Event, Extension, Platform, SmsExtension


class Settings(BaseModel):
    user: str
    password: SecretStr


class Config(BaseModel):
    sign_name: str


class Reader(SmsExtension):
    package = "com.example.sms.reader"

    def load(self):
        self.register_settings_schema(Settings)
        self.register_config_schema(Config)
        super().load()

    def send_sms(self, event, **kwargs):
        config = self.get_config_by_id(event.data["config_id"]).config
        user = self.get_settings(event.tenant).settings["user"]
        return {"tenant": event.tenant, "sign": config["sign_name"], "user": user}


@pytest.fixture
def platform():
    platform = Platform()
    platform.register(Reader())
    platform.save_settings("tenant-a", Reader.package, {"user": "a", "password": "pa"})
    platform.save_settings("tenant-b", Reader.package, {"user": "b", "password": "pb"})
    return platform


def send(tenant, config_id):
    return Event(SEND_SMS, tenant, Reader.package, {"config_id": config_id, "mobile": "13800138000"})


def test_settings_and_configs_are_validated_with_the_schemas(platform):
    with pytest.raises(ConfigError) as info:
        platform.save_settings("tenant-a", Reader.package, {"user": "a", "pasword": "typo"})
    assert info.value.problems == [
        "settings of 'com.example.sms.reader': pasword: unknown setting",
        "settings of 'com.example.sms.reader': password: Field required",
    ]
    with pytest.raises(ConfigError):
        platform.add_config("tenant-a", Reader.package, {})
    with pytest.raises(ConfigError, match="no extension"):
        platform.save_settings("tenant-a", "com.nope", {})


def test_tenant_isolation(platform):
    a_config = platform.add_config("tenant-a", Reader.package, {"sign_name": "A"}, name="login")
    b_config = platform.add_config("tenant-b", Reader.package, {"sign_name": "B"})
    assert platform.dispatch(send("tenant-a", a_config))[0].result == {"tenant": "tenant-a", "sign": "A", "user": "a"}
    assert platform.dispatch(send("tenant-b", b_config))[0].result == {"tenant": "tenant-b", "sign": "B", "user": "b"}
    stolen = platform.dispatch(send("tenant-b", a_config))[0]  # tenant B naming tenant A's config
    assert isinstance(stolen.error, InvalidRequest) and stolen.error.field == "config_id"
    assert "tenant-a" not in str(stolen.error)
    assert [c["id"] for c in platform.list_configs("tenant-a")] == [a_config]
    assert [c["config"] for c in platform.list_configs("tenant-b")] == [{"sign_name": "B"}]


def test_a_tenant_without_settings_gets_a_typed_error(platform):
    config_id = platform.add_config("tenant-c", Reader.package, {"sign_name": "C"})
    error = platform.dispatch(send("tenant-c", config_id))[0].error
    assert isinstance(error, ConfigError) and "tenant-c" in str(error)


def test_a_config_of_another_extension_is_not_found(platform):
    class Other(Extension):
        pass

    platform.register(Other("com.other"))
    other_config = platform.add_config("tenant-a", "com.other", {"anything": 1})
    error = platform.dispatch(send("tenant-a", other_config))[0].error
    assert isinstance(error, InvalidRequest)


def test_outside_dispatch_the_tenant_must_be_named(platform):
    extension = platform.extensions[Reader.package]
    config_id = platform.add_config("tenant-a", Reader.package, {"sign_name": "A"})
    with pytest.raises(InvalidRequest, match="needs a tenant"):
        extension.get_config_by_id(config_id)
    assert extension.get_config_by_id(config_id, tenant="tenant-a").config == {"sign_name": "A"}
    with pytest.raises(InvalidRequest):
        extension.get_config_by_id(config_id, tenant="tenant-b")


def test_secrets_never_listed_in_clear(platform):
    listed = repr(platform.list_settings("tenant-a")) + repr(platform.list_settings("tenant-b"))
    assert "pa'" not in listed and "pb'" not in listed and "**********" in listed
    record = platform.extensions[Reader.package].get_settings("tenant-a")
    assert record.settings["password"].get_secret_value() == "pa"


def test_an_unloaded_extension_cannot_read_the_store():
    with pytest.raises(ConfigError, match="not loaded"):
        Reader().get_settings("tenant-a")
