import pytest

from smsgate import InvalidPhone, InvalidRequest, OutcomeUnknown, Rejected, RequestFailed, RetryPolicy, Unreachable
from smsgate.elements import App, SmsResponse
from tests.waits import wait_until

from .helpers import SECRET, aliyun_element, closed_port, write_element

ONCE = RetryPolicy(max_attempts=1)
SEND = {"phoneList": ["13800138000"], "params": {"code": "1234"}, "verifyTemplateCode": "SMS_123456789"}


@pytest.fixture
def app(tmp_path, aliyun_server):
    aliyun_element(tmp_path, "Aliyun", aliyun_server.server.endpoint, timeout=0.3)
    aliyun_element(tmp_path, "Down", f"127.0.0.1:{closed_port()}")
    write_element(tmp_path, "Dev", {"title": "dev", "type": "SMS.Memory", "backendBundleEntry": "."})
    with App(tmp_path, retry=ONCE) as app:
        yield app


def test_snake_case_twin(app, aliyun_server):
    result = app.get_element("SMS.Aliyun").send_message(
        phone_list=["+86 138 0013 8000"], params={"code": "42"}, template_code="SMS_1"
    )
    assert isinstance(result, SmsResponse) and result["Code"] == "OK"
    assert result.result.ok and result.responses == [dict(result)]
    assert aliyun_server.delivered[0].phone == "13800138000"


async def test_async_twins(app, aliyun_server):
    element = app.getElement("SMS.Aliyun")
    camel = await element.asendMessage(**SEND)
    snake = await element.asend_message(phone_list=["13900139000"], params={"code": "1"}, template_code="SMS_2")
    assert camel["Code"] == snake["Code"] == "OK"
    assert aliyun_server.phones() == ["13800138000", "13900139000"]
    with pytest.raises(Rejected) as info:
        aliyun_server.fail_phone("13800138000", "isv.MOBILE_NUMBER_ILLEGAL", "bad number")
        await element.asendMessage(**SEND)
    assert info.value.code == 46002
    await app.aclose()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"phoneList": []}, "phoneList"),
        ({"phoneList": None}, "phoneList"),
        ({"phoneList": "13800138000"}, "phoneList"),
        ({"params": None}, "params"),
        ({"params": ["code"]}, "params"),
        ({"verifyTemplateCode": None}, "verifyTemplateCode"),
        ({"verifyTemplateCode": ""}, "verifyTemplateCode"),
        ({"verifyTemplateCode": 123}, "verifyTemplateCode"),
    ],
)
def test_46001_missing_parameter_or_empty_phone_list(app, aliyun_server, changes, field):
    with pytest.raises(InvalidRequest) as info:
        app.getElement("SMS.Aliyun").sendMessage(**{**SEND, **changes})
    assert info.value.code == 46001 and info.value.field == field
    assert field in str(info.value)
    assert aliyun_server.server.requests == []


def test_46001_names_the_bad_phone_and_sends_nothing(app, aliyun_server):
    with pytest.raises(InvalidPhone) as info:
        app.getElement("SMS.Aliyun").sendMessage(**{**SEND, "phoneList": ["13800138000", "12345"]})
    assert info.value.code == 46001 and "12345" in str(info.value)
    assert aliyun_server.server.requests == []


def test_46001_snake_case_names_its_own_argument(app):
    with pytest.raises(InvalidRequest) as info:
        app.getElement("SMS.Aliyun").send_message(phone_list=[], params={}, template_code="SMS_1")
    assert info.value.field == "phone_list"


def test_46002_carries_the_provider_code_and_message(app, aliyun_server):
    aliyun_server.fail_template("SMS_123456789", "isv.SMS_TEMPLATE_ILLEGAL", "模板不合法")
    with pytest.raises(Rejected) as info:
        app.getElement("SMS.Aliyun").sendMessage(**SEND)
    error = info.value
    assert error.code == 46002
    assert (error.provider_code, error.provider_message) == ("isv.SMS_TEMPLATE_ILLEGAL", "模板不合法")
    assert error.provider == "SMS.Aliyun" and "isv.SMS_TEMPLATE_ILLEGAL" in str(error)
    assert error.raw["Code"] == "isv.SMS_TEMPLATE_ILLEGAL"
    assert aliyun_server.delivered == []


def test_46002_on_bad_credentials(tmp_path, aliyun_server):
    aliyun_element(tmp_path, "Wrong", aliyun_server.server.endpoint, accessSecret="not-the-secret")
    with App(tmp_path, retry=ONCE) as app, pytest.raises(Rejected) as info:
        app.getElement("SMS.Wrong").sendMessage(**SEND)
    assert info.value.provider_code == "SignatureDoesNotMatch"
    assert "not-the-secret" not in repr(info.value) + str(info.value)


def test_46003_on_a_refused_connection(app):
    with pytest.raises(Unreachable) as info:
        app.getElement("SMS.Down").sendMessage(**SEND)
    assert info.value.code == 46003 and isinstance(info.value, RequestFailed)


def test_46003_on_a_timeout(app, aliyun_server):
    aliyun_server.server.fail_next(delay=30.0, after=True)
    with pytest.raises(OutcomeUnknown) as info:
        app.getElement("SMS.Aliyun").sendMessage(**SEND)
    assert info.value.code == 46003
    wait_until(lambda: len(aliyun_server.server.requests) >= 1, what="the request to arrive")
    assert len(aliyun_server.server.requests) == 1  # an unknown outcome is never resent


async def test_46003_async_on_a_refused_connection(app):
    with pytest.raises(Unreachable) as info:
        await app.getElement("SMS.Down").asendMessage(**SEND)
    assert info.value.code == 46003
    await app.aclose()


def test_a_local_provider_answers_with_the_result(app):
    dev = app.getElement("SMS.Dev")
    result = dev.sendMessage(phoneList=["13800138000"], params={"code": "1"}, verifyTemplateCode="SMS_1")
    assert result["ok"] is True and result["recipients"][0]["phone"] == "+8613800138000"
    assert dev.provider.outbox[0].params == {"code": "1"}


def test_secrets_stay_out_of_reprs(app):
    element = app.getElement("SMS.Aliyun")
    shown = " ".join([repr(app), repr(element), repr(element.provider), str(element.provider.settings)])
    assert SECRET not in shown


def _memory_app(tmp_path_factory):
    root = tmp_path_factory.mktemp("memory-app")
    write_element(root, "Dev", {"title": "dev", "type": "SMS.Memory", "backendBundleEntry": "."})
    return App(root)


def test_every_distinct_phone_is_sent_once(tmp_path_factory):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    app = _memory_app(tmp_path_factory)
    dev = app.getElement("SMS.Dev")
    mobile = st.from_regex(r"1(3[0-9]|5[0-35-9]|8[0-9])[0-9]{8}", fullmatch=True)

    @settings(max_examples=50, deadline=None)
    @given(st.lists(mobile, min_size=1, max_size=20), st.dictionaries(st.sampled_from(["code", "name"]), st.text()))
    def check(phones, params):
        dev.provider.clear()
        result = dev.sendMessage(phoneList=phones, params=params, verifyTemplateCode="SMS_1")
        assert sorted(e.to for e in dev.provider.outbox) == sorted({"+86" + p for p in phones})
        assert all(e.params == params for e in dev.provider.outbox)
        assert result["ok"] and len(result.result.recipients) == len(set(phones))

    check()
    app.close()
