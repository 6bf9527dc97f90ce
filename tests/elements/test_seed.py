"""The seed's (002) element folder and its three sendMessage examples, run as written, over loopback."""

import pytest

from smsgate.elements import App

from .helpers import write_element


@pytest.fixture
def sms_element(tmp_path, aliyun_server):
    # the seed's folder: SMS/YourSmsName/{e.json, sms.json}, plus the endpoint of the fake Aliyun
    write_element(
        tmp_path,
        "YourSmsName",
        {"title": "我的阿里云短信", "type": "SMS.Aliyun", "backendBundleEntry": "."},
        {
            "accessKey": "testAK",
            "accessSecret": "testSecret",
            "verifySign": "your_signature",
            "endpoint": aliyun_server.server.endpoint,
        },
    )
    app = App(tmp_path)
    yield app.getElement("SMS.YourSmsName")
    app.close()


def assert_aliyun_reply(result):
    assert result["Code"] == "OK" and result["Message"] == "OK"
    assert result["BizId"] and result["RequestId"]


def test_basic_send(sms_element, aliyun_server):
    # 发送验证码短信
    result = sms_element.sendMessage(
        phoneList=["13800138000"], params={"code": "6789"}, verifyTemplateCode="SMS_123456789"
    )
    assert_aliyun_reply(result)
    [sent] = aliyun_server.delivered
    assert (sent.phone, sent.sign_name, sent.template_code, sent.params) == (
        "13800138000",
        "your_signature",
        "SMS_123456789",
        {"code": "6789"},
    )
    assert sent.biz_id == result["BizId"]


def test_batch_send(sms_element, aliyun_server):
    # 批量发送通知短信
    result = sms_element.sendMessage(
        phoneList=["13800138000", "13900139000", "13700137000"],
        params={"name": "张三", "event": "系统维护"},
        verifyTemplateCode="SMS_987654321",
    )
    assert_aliyun_reply(result)
    assert aliyun_server.phones() == ["13800138000", "13900139000", "13700137000"]
    assert len(aliyun_server.server.requests) == 1  # one SendSms for all three
    assert {d.biz_id for d in aliyun_server.delivered} == {result["BizId"]}
    assert all(d.params == {"name": "张三", "event": "系统维护"} for d in aliyun_server.delivered)


def test_multi_parameter_template(sms_element, aliyun_server):
    # 复杂模板参数
    result = sms_element.sendMessage(
        phoneList=["13800138000"],
        params={"username": "用户001", "amount": "100.00", "time": "2024-01-15 10:30"},
        verifyTemplateCode="SMS_ORDER_NOTIFY",
    )
    assert_aliyun_reply(result)
    [sent] = aliyun_server.delivered
    assert sent.template_code == "SMS_ORDER_NOTIFY"
    assert sent.params == {"username": "用户001", "amount": "100.00", "time": "2024-01-15 10:30"}


def test_quick_start_example(sms_element, aliyun_server):
    # 获取短信元素实例 … 发送短信
    result = sms_element.sendMessage(
        phoneList=["13800138000", "13900139000"], params={"code": "123456"}, verifyTemplateCode="SMS_123456789"
    )
    assert_aliyun_reply(result)
    assert aliyun_server.phones() == ["13800138000", "13900139000"]
