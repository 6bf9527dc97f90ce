"""An extension written the way seed 000 writes ``AliyunSMSExtension``, against the fake Aliyun over loopback."""

import pytest
from pydantic import BaseModel, Field, SecretStr

from smsgate import Message, Rejected
from smsgate.extensions import MASK, SEND_SMS, Event, Platform, SmsExtension

PACKAGE = "com.example.sms.aliyun"


class SettingsSchema(BaseModel):
    access_key_id: str = Field(title="AccessKey ID")
    access_key_secret: SecretStr = Field(title="AccessKey Secret")  # ArkID: str, listed in clear
    region_id: str | None = Field(None, title="地域ID")
    endpoint: str | None = Field("dysmsapi.aliyuncs.com", title="访问的域名")


class ConfigSchema(BaseModel):
    sign_name: str = Field(title="短信签名")
    template_code: str = Field(title="模板CODE")
    sms_up_extend_code: str | None = Field(None, title="上行短信扩展码")
    out_id: str | None = Field(None, title="外部流水扩展字段")
    template_params: list[str] = Field(["code"], title="模板参数")


class AliyunSMSExtension(SmsExtension):
    package = PACKAGE

    def load(self):
        self.register_settings_schema(SettingsSchema)
        self.register_config_schema(ConfigSchema)
        super().load()

    def send_sms(self, event, **kwargs):
        tenant = event.tenant
        config_id = event.data.pop("config_id")
        mobile = event.data.pop("mobile")
        template_params = {}
        settings = self.get_settings(tenant)
        settings = settings.settings
        config = self.get_config_by_id(config_id).config
        for key in config.get("template_params", ["code"]):
            template_params[key] = event.data.get(key, "")
        aliyun_settings = {
            "access_key_id": settings["access_key_id"],
            "access_key_secret": settings["access_key_secret"],
            "region_id": settings["region_id"] or "cn-hangzhou",
            "endpoint": settings["endpoint"] or None,
        }
        message = Message(
            to=[mobile],
            sign_name=config["sign_name"],
            template=config["template_code"],
            params=template_params,
            extend_code=config["sms_up_extend_code"] or None,
            out_id=config["out_id"] or None,
        )
        return self.send_with("aliyun", aliyun_settings, message)


@pytest.fixture
def platform(aliyun_server):
    platform = Platform()
    platform.register(AliyunSMSExtension())
    settings = aliyun_server.settings()
    platform.save_settings(
        "tenant-a",
        PACKAGE,
        {
            "access_key_id": settings["access_key_id"],
            "access_key_secret": settings["access_key_secret"],
            "endpoint": aliyun_server.server.endpoint,
        },
    )
    yield platform
    platform.close()


def send_event(config_id, **data):
    return Event(SEND_SMS, "tenant-a", PACKAGE, {"config_id": config_id, "mobile": "13800138000", **data})


def test_the_seed_extension_sends_and_returns_aliyuns_reply(platform, aliyun_server):
    config_id = platform.add_config(
        "tenant-a", PACKAGE, {"sign_name": "阿里云短信测试", "template_code": "SMS_154950909", "out_id": "o-1"}
    )
    outcomes = platform.dispatch(send_event(config_id, code="123456", areacode="86", username="alice"))
    outcome = outcomes[PACKAGE]
    assert outcome.ok and outcome.error is None
    assert outcome.result["Code"] == "OK" and outcome.result["BizId"]
    [sent] = aliyun_server.delivered
    assert (sent.phone, sent.sign_name, sent.template_code) == ("13800138000", "阿里云短信测试", "SMS_154950909")
    assert sent.params == {"code": "123456"} and sent.out_id == "o-1"


def test_template_params_pick_event_data_keys(platform, aliyun_server):
    config_id = platform.add_config(
        "tenant-a",
        PACKAGE,
        {"sign_name": "s", "template_code": "SMS_PWD", "template_params": ["username", "password"]},
    )
    assert platform.dispatch(send_event(config_id, username="alice", password="p4ss")).ok
    assert aliyun_server.delivered[0].params == {"username": "alice", "password": "p4ss"}


def test_an_aliyun_refusal_is_never_reported_as_success(platform, aliyun_server):
    config_id = platform.add_config("tenant-a", PACKAGE, {"sign_name": "s", "template_code": "SMS_1"})
    aliyun_server.fail_phone("13800138000", "isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1")
    outcomes = platform.dispatch(send_event(config_id, code="1"))
    assert not outcomes.ok and not outcomes[PACKAGE].ok
    error = outcomes[PACKAGE].error
    assert isinstance(error, Rejected) and error.code == 46002
    assert error.provider_code == "isv.BUSINESS_LIMIT_CONTROL"
    with pytest.raises(Rejected):
        outcomes.raise_for_status()


def test_the_secret_is_masked_in_listings(platform, aliyun_server):
    [listed] = platform.list_settings("tenant-a")
    assert listed["settings"]["access_key_secret"] == MASK
    assert listed["settings"]["access_key_id"] == "testAK"
    assert "testSecret" not in repr(platform.extensions[PACKAGE].get_settings("tenant-a"))
