from smsgate import PhoneNumber, RecipientResult, SendResult, Status
from smsgate.elements._response import response_of

PHONE = PhoneNumber.parse("13800138000")


def result(*responses):
    return SendResult((RecipientResult(PHONE, Status.ACCEPTED, "p", message_id="m"),), responses=responses)


def test_one_request_gives_its_response():
    response = response_of(result({"Code": "OK", "BizId": "1"}))
    assert response == {"Code": "OK", "BizId": "1"} and response.responses == [{"Code": "OK", "BizId": "1"}]


def test_several_requests_give_the_first_and_keep_all():
    response = response_of(result({"BizId": "1"}, {"BizId": "2"}, "plain text"))
    assert response == {"BizId": "1"}
    assert response.responses == [{"BizId": "1"}, {"BizId": "2"}, {"body": "plain text"}]


def test_no_raw_response_gives_the_result():
    sent = result()
    response = response_of(sent)
    assert response["ok"] is True and response["recipients"][0]["message_id"] == "m"
    assert response.result is sent and response.responses == []
