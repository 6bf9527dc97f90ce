import pytest

from smsgate import InvalidRequest, Rejected, SendResult
from smsgate.extensions import SEND_SMS, Event, Outcome, Outcomes


def test_an_event_needs_a_tenant():
    for tenant in (None, "", "  "):
        with pytest.raises(InvalidRequest) as info:
            Event(SEND_SMS, tenant)
        assert info.value.code == 46001 and info.value.field == "tenant"


def test_packages_and_tenant_objects_are_normalised():
    class Tenant:
        id = 7

    event = Event(SEND_SMS, Tenant(), "com.a", {"mobile": "1"})
    assert (event.tenant, event.packages) == ("7", ("com.a",))
    assert Event("X", "t", ["a", "b"]).packages == ("a", "b")


def test_send_sms_needs_config_id_and_mobile():
    Event(SEND_SMS, "t", "p", {"config_id": "c", "mobile": "1"}).check()
    for data, missing in (({"mobile": "1"}, "config_id"), ({"config_id": "c", "mobile": " "}, "mobile")):
        with pytest.raises(InvalidRequest) as info:
            Event(SEND_SMS, "t", "p", data).check()
        assert info.value.field == f"data.{missing}"
    Event("OTHER", "t").check()  # other tags need nothing


def test_copies_do_not_share_data_and_reprs_hide_values():
    event = Event(SEND_SMS, "t", "p", {"config_id": "c", "mobile": "13800138000", "code": "654321"})
    copy = event.copy()
    copy.data.pop("code")
    assert event.data["code"] == "654321"
    assert "654321" not in repr(event) and "13800138000" not in repr(event)


def test_outcomes_report_every_extension():
    error = Rejected("no", provider_code="isv.X")
    outcomes = Outcomes([Outcome("a", {"Code": "OK"}), Outcome("b", error=error), Outcome("c", None)])
    assert not outcomes.ok and len(outcomes) == 3
    assert outcomes.results == {"a": {"Code": "OK"}, "c": None}
    assert outcomes.errors == {"b": error}
    assert outcomes[1] is outcomes["b"]
    assert outcomes["b"].to_dict()["error"]["provider_code"] == "isv.X"
    with pytest.raises(Rejected):
        outcomes.raise_for_status()
    with pytest.raises(KeyError):
        outcomes["zzz"]
    assert not Outcomes([]).ok


def test_a_send_result_with_a_refused_recipient_is_not_ok():
    from smsgate import PhoneNumber, RecipientResult

    phone = PhoneNumber.parse("13800138000")
    result = SendResult((RecipientResult.failed(phone, Rejected("no")),))
    outcome = Outcome("a", result)
    assert not outcome.ok
    with pytest.raises(Rejected):
        Outcomes([outcome]).raise_for_status()
