import pytest

from smsgate import App, PhoneNumber, RecipientResult, SendResult, Status
from smsgate.elements._response import response_of
from smsgate.emulators import create, serve

from .helpers import write_element

PHONE = PhoneNumber.parse("13800138000")


def result(*responses):
    return SendResult((RecipientResult(PHONE, Status.ACCEPTED, "p", message_id="m"),), responses=responses)


def test_one_request_gives_its_response():
    response = response_of(result({"Code": "OK", "BizId": "1"}))
    assert response == {"Code": "OK", "BizId": "1"} and response.responses == [{"Code": "OK", "BizId": "1"}]


def test_several_requests_give_the_first_and_keep_all():
    response = response_of(result({"BizId": "1"}, {"BizId": "2"}, "plain text"))
    assert response == {"Code": "OK", "BizId": "1"}  # every type's response has Code
    assert response.responses == [{"BizId": "1"}, {"BizId": "2"}, {"body": "plain text"}]


def test_no_raw_response_gives_the_result():
    sent = result()
    response = response_of(sent)
    assert response["Code"] == "OK" and response["ok"] is True and response["recipients"][0]["message_id"] == "m"
    assert response.result is sent and response.responses == []


def test_a_provider_code_is_never_replaced():
    assert response_of(result({"Code": "isv.X"}))["Code"] == "isv.X"


DOCUMENTED = {  # docs/elements.md, "Results per type": type → a key of the provider's own reply
    "aliyun": ("SMS.Aliyun", "BizId"),
    "tencent": ("SMS.Tencent", "Response"),
    "huawei": ("SMS.Huawei", "result"),
    "twilio": ("SMS.Twilio", "sid"),
    "sns": ("SMS.AwsSns", "body"),
    "vonage": ("SMS.Vonage", "messages"),
}


@pytest.mark.parametrize("provider", sorted(DOCUMENTED))
def test_every_type_answers_code_and_its_documented_reply(tmp_path, provider):
    kind, key = DOCUMENTED[provider]
    with serve(create(provider)) as emulator:
        settings = {k: v for k, v in emulator.settings().items() if k != "timeout"}
        write_element(tmp_path, "X", {"title": "t", "type": kind, "backendBundleEntry": "."}, settings)
        with App(tmp_path) as app:
            sent = app.getElement("SMS.X").sendMessage(
                phoneList=["+8613800138000"], params={"code": "1"}, verifyTemplateCode="100001", text="c ${code}"
            )
    assert sent["Code"] == "OK" and key in sent
