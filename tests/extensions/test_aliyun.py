import pytest

from smsgate import ConfigError, InvalidPhone, InvalidRequest, OutcomeUnknown, Rejected, RetryPolicy, Unreachable
from smsgate.extensions import MASK, SEND_SMS, AliyunSmsExtension, Event, Platform
from tests.waits import wait_until

from ..elements.helpers import closed_port

PKG = AliyunSmsExtension.package


@pytest.fixture
def platform(aliyun_server):
    platform = Platform(retry=RetryPolicy(max_attempts=1))
    platform.register(AliyunSmsExtension())
    s = aliyun_server.settings()
    creds = {"access_key_id": s["access_key_id"], "access_key_secret": s["access_key_secret"]}
    platform.save_settings("acme", PKG, {**creds, "endpoint": aliyun_server.server.endpoint})
    platform.save_settings("down", PKG, {**creds, "endpoint": f"127.0.0.1:{closed_port()}"})
    platform.save_settings("wrong", PKG, {**creds, "access_key_secret": "nope", "endpoint": aliyun_server.server.url})
    yield platform
    platform.close()


def config(platform, tenant="acme", **extra):
    return platform.add_config(tenant, PKG, {"sign_name": "阿里云短信测试", "template_code": "SMS_154950909", **extra})


def send(platform, tenant, config_id, **data):
    data = {"config_id": config_id, "mobile": "13800138000", "code": "123456", **data}
    return platform.dispatch(Event(SEND_SMS, tenant, PKG, data))[PKG]


def test_sends_and_returns_aliyuns_reply(platform, aliyun_server):
    outcome = send(platform, "acme", config(platform, out_id="order-7", sms_up_extend_code="12"), username="bob")
    assert outcome.ok and outcome.result["Code"] == "OK"
    [sent] = aliyun_server.delivered
    assert (sent.phone, sent.params) == ("13800138000", {"code": "123456"})
    assert (sent.out_id, sent.extend_code) == ("order-7", "12")


def test_areacode_is_honoured(platform, aliyun_server):
    assert send(platform, "acme", config(platform), mobile="91234567", areacode="852").ok
    assert aliyun_server.delivered[0].phone == "85291234567"


def test_schemas_are_the_seeds_and_strict(platform):
    with pytest.raises(ConfigError) as info:
        platform.add_config("acme", PKG, {"template_code": "SMS_1", "colour": "red"})
    found = [p.split(": ", 1)[1] for p in info.value.problems]
    assert found == ["colour: unknown setting", "sign_name: Field required"]
    with pytest.raises(ConfigError):
        platform.save_settings("acme", PKG, {"access_key_id": "AK"})
    [listed] = platform.list_settings("acme")
    assert listed["settings"]["access_key_secret"] == MASK


def test_46001_missing_template_param_or_bad_mobile(platform, aliyun_server):
    config_id = config(platform, template_params=["code", "product"])
    error = send(platform, "acme", config_id).error
    assert isinstance(error, InvalidRequest) and error.field == "data.product"
    error = send(platform, "acme", config(platform), mobile="12345").error
    assert isinstance(error, InvalidPhone) and error.code == 46001
    assert aliyun_server.server.requests == []


def test_46002_with_aliyuns_code(platform, aliyun_server):
    aliyun_server.fail_phone("13800138000", "isv.AMOUNT_NOT_ENOUGH", "账户余额不足")
    error = send(platform, "acme", config(platform)).error
    assert isinstance(error, Rejected) and error.code == 46002
    assert (error.provider_code, error.provider_message) == ("isv.AMOUNT_NOT_ENOUGH", "账户余额不足")


def test_46002_on_a_wrong_secret_without_leaking_it(platform, caplog):
    caplog.set_level("DEBUG")
    error = send(platform, "wrong", config(platform, "wrong")).error
    assert isinstance(error, Rejected) and error.provider_code == "SignatureDoesNotMatch"
    assert "com.smsgate.sms.aliyun failed" in caplog.text
    for shown in (str(error), repr(error), str(error.to_dict()), caplog.text):
        assert "nope" not in shown and "testSecret" not in shown


def test_46003_on_a_refused_connection(platform):
    error = send(platform, "down", config(platform, "down")).error
    assert isinstance(error, Unreachable) and error.code == 46003


def test_46003_on_a_timeout(aliyun_server):
    platform = Platform(retry=RetryPolicy(max_attempts=1))
    platform.register(AliyunSmsExtension(provider_defaults={"timeout": 0.3}))
    creds = {k: v for k, v in aliyun_server.settings().items() if k.startswith("access_key")}
    platform.save_settings("slow", PKG, {**creds, "endpoint": aliyun_server.server.endpoint})
    aliyun_server.server.fail_next(delay=30.0, after=True)
    error = send(platform, "slow", config(platform, "slow")).error
    assert isinstance(error, OutcomeUnknown) and error.code == 46003
    wait_until(lambda: len(aliyun_server.server.requests) >= 1, what="the request to arrive")
    assert len(aliyun_server.server.requests) == 1  # may have been delivered: never resent
    platform.close()


def test_tenants_cannot_use_each_others_configs(platform, aliyun_server):
    acme_config = config(platform, "acme")
    error = send(platform, "down", acme_config).error
    assert isinstance(error, InvalidRequest) and error.field == "config_id"
    assert aliyun_server.server.requests == []


async def test_adispatch(platform, aliyun_server):
    event = Event(SEND_SMS, "acme", PKG, {"config_id": config(platform), "mobile": "13800138000", "code": "1"})
    outcomes = await platform.adispatch(event)
    assert outcomes.ok and outcomes[PKG].result["Code"] == "OK"
