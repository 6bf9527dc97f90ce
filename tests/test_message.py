"""Message is a plain frozen dataclass; Outgoing is the same message with its phones always parsed."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import InvalidRequest, Message, PhoneNumber
from smsgate._message import Outgoing


def test_a_message_is_a_frozen_dataclass_whose_fields_are_checked_copies():
    params = {"code": "1234"}
    message = Message("13800138000", template="T", params=params)
    params["code"] = "9999"  # the caller's dict is copied
    assert message.to == ("13800138000",) and message.params == {"code": "1234"}
    assert dataclasses.is_dataclass(message) and not hasattr(message, "phones")
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.template = "U"  # type: ignore[misc]


def test_normalised_is_an_outgoing_message_with_phones_set():
    message = Message(["13800138000", "+8613800138000", "13900139000"], template="T")
    outgoing = message.normalised()
    assert isinstance(outgoing, Outgoing) and isinstance(outgoing, Message)
    assert [p.e164 for p in outgoing.phones] == ["+8613800138000", "+8613900139000"]
    assert outgoing.to == outgoing.phones and outgoing.normalised() is outgoing


def test_an_outgoing_message_never_prints_its_params():
    outgoing = Message("13800138000", template="T", params={"code": "493817"}).normalised()
    assert "493817" not in repr(outgoing) and repr(outgoing).startswith("Outgoing(to=1 recipient(s)")


def test_outgoing_needs_parsed_phones():
    with pytest.raises(TypeError, match="PhoneNumber"):
        Outgoing(["13800138000"], template="T", phones=("13800138000",))  # type: ignore[arg-type]


def test_replace_gives_a_plain_message_to_normalise_again():
    outgoing = Message(["13800138000", "13900139000"], template="T").normalised()
    changed = outgoing.replace(to=["13700137000"])
    assert type(changed) is Message and changed.normalised().phones == (PhoneNumber.parse("13700137000"),)


def test_part_keeps_only_its_recipients_params():
    message = Message(
        ["13800138000", "13900139000"],
        template="T",
        recipient_params={"13800138000": {"n": "1"}, "13900139000": {"n": "2"}},
    ).normalised()
    part = message.part([message.phones[1]])
    assert part.phones == (message.phones[1],) and part.recipient_params == {"+8613900139000": {"n": "2"}}


def test_bad_fields_are_typed_errors_naming_the_field():
    with pytest.raises(InvalidRequest) as caught:
        Message("13800138000", template="T", params={"code": ["x"]})
    assert caught.value.field == "params.code"


@given(st.dictionaries(st.text(min_size=1), st.text(), max_size=5))
def test_any_text_params_survive_normalising(params: dict[str, str]):
    try:
        message = Message("13800138000", template="T", params=params)
    except InvalidRequest:  # lone surrogates are refused, with the field named
        return
    assert message.normalised().params == params


@pytest.mark.parametrize("order", [[None], ["code", None], "code", 5])
def test_param_order_holds_names(order: object) -> None:
    with pytest.raises(InvalidRequest) as caught:
        Message("+8613800138000", template="T", params={"code": "1"}, param_order=order)  # type: ignore[arg-type]
    assert caught.value.field == "param_order"
