import os
import random
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import InvalidPhone, InvalidRequest, Message, PhoneNumber, RecipientResult, Rejected, SendResult, Status
from smsgate._models import new_id
from tests.waits import wait_until

CN = PhoneNumber.parse("13800138000")
CN2 = PhoneNumber.parse("13900139000")


def test_normalised_parses_dedupes_and_keeps_order():
    message = Message(to=["13900139000", "+86 138 0013 8000", "13800138000"], template="SMS_1").normalised()
    assert [p.e164 for p in message.phones] == ["+8613900139000", "+8613800138000"]


def test_a_single_phone_string_is_one_recipient():
    assert Message(to="13800138000", template="T").to == ("13800138000",)


def test_empty_recipients_and_missing_template_are_46001():
    with pytest.raises(InvalidRequest, match="recipient list is empty") as info:
        Message(to=[], template="T").normalised()
    assert info.value.code == 46001 and info.value.field == "to"
    with pytest.raises(InvalidRequest, match="template code or a text") as info:
        Message(to=["13800138000"]).normalised()
    assert info.value.field == "template"


def test_every_bad_phone_is_named_at_once():
    with pytest.raises(InvalidRequest) as info:
        Message(to=["13800138000", "123", "010 12345678"], template="T").normalised()
    assert "'123'" in str(info.value) and "'010 12345678'" in str(info.value)
    with pytest.raises(InvalidPhone, match="'123'"):
        Message(to=["123"], template="T").normalised()


def test_params_become_strings_and_bad_values_are_named():
    assert Message(to="13800138000", template="T", params={"code": 1234, "amount": 1.5}).params == {
        "code": "1234",
        "amount": "1.5",
    }
    with pytest.raises(InvalidRequest, match=r"params\['code'\]") as info:
        Message(to="13800138000", template="T", params={"code": None})
    assert info.value.field == "params.code"


def test_overrides_stay_apart_from_params():
    m = Message(
        to="13800138000", template="SMS_1", templates={"tencent": "1234"}, sign_name="A", sign_names={"tencent": "B"}
    )
    assert m.template_for("aliyun") == "SMS_1" and m.template_for("backup", "tencent") == "1234"
    assert m.sign_name_for("aliyun") == "A" and m.sign_name_for("tencent") == "B"
    assert m.params == {}


def test_recipient_params_override_per_phone():
    m = Message(
        to=["13800138000", "13900139000"],
        template="T",
        params={"code": "1", "app": "x"},
        recipient_params={"13900139000": {"code": "2"}},
    ).normalised()
    assert m.params_for(CN) == {"code": "1", "app": "x"}
    assert m.params_for(CN2) == {"code": "2", "app": "x"}
    with pytest.raises(InvalidRequest, match="not a recipient"):
        Message(to=["13800138000"], template="T", recipient_params={"13900139000": {}}).normalised()


def test_ordered_params_need_a_declared_order():
    m = Message(to="13800138000", template="T", params={"b": "2", "a": "1"})
    with pytest.raises(InvalidRequest, match="param_order") as info:
        m.ordered_params(CN)
    assert info.value.field == "param_order"
    assert m.ordered_params(CN, ["a", "b"]) == ["1", "2"]
    assert m.replace(param_order=["b", "a"]).ordered_params(CN, ["a", "b"]) == ["2", "1"]
    assert Message(to="13800138000", template="T", params={"code": "9"}).ordered_params(CN) == ["9"]
    with pytest.raises(InvalidRequest, match="missing template parameter"):
        m.ordered_params(CN, ["a", "c"])


def test_render_fills_text_and_names_missing_params():
    m = Message(to="13800138000", text="Your code is ${code}. $$5", params={"code": "42"})
    assert m.render(CN) == "Your code is 42. $5"
    with pytest.raises(InvalidRequest, match="'name'") as info:
        Message(to="13800138000", text="Hi ${name}").render(CN)
    assert info.value.field == "params"
    with pytest.raises(InvalidRequest, match="no text"):
        Message(to="13800138000", template="T").render(CN)


@given(st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True), st.text(max_size=30), max_size=5))
def test_render_substitutes_every_param_verbatim(params):
    text = " ".join(f"${{{k}}}" for k in params)
    assert Message(to="13800138000", text=text, params=params).render(CN) == " ".join(params.values())


def test_repr_never_shows_param_values():
    m = Message(to="13800138000", template="T", params={"code": "987654"})
    assert "987654" not in repr(m)


def test_send_result_lookups_and_raise_for_status():
    error = Rejected("nope", provider="aliyun", provider_code="isv.X")
    result = SendResult((RecipientResult(CN, Status.ACCEPTED, "aliyun", "id1"), RecipientResult.failed(CN2, error)))
    assert not result.ok and [r.phone for r in result.accepted] == [CN] and result.errors == (error,)
    assert result["13800138000"].message_id == "id1" and result["+8613900139000"].status is Status.REJECTED
    with pytest.raises(Rejected):
        result.raise_for_status()
    data = result.to_dict()
    assert data["recipients"][1]["error"]["provider_code"] == "isv.X" and data["ok"] is False
    assert SendResult((RecipientResult(CN, Status.ACCEPTED),)).raise_for_status().ok


def test_ids_do_not_follow_the_random_module() -> None:
    random.seed(7)
    first = [new_id() for _ in range(3)]
    random.seed(7)
    assert [new_id() for _ in range(3)] != first
    assert len({*first}) == 3 and all(len(i) == 32 and int(i, 16) >= 0 for i in first)


def test_ids_made_later_sort_later() -> None:
    """Time-ordered (48 bits of milliseconds first), so the send log's indexes grow at one edge."""
    earlier = new_id()
    wait_until(lambda: new_id()[:12] != earlier[:12], timeout=1.0, what="the next millisecond")
    later = [new_id() for _ in range(100)]
    assert all(earlier < i for i in later) and len(set(later)) == 100
    assert abs(int(earlier[:12], 16) / 1000 - time.time()) < 60


def test_a_forked_child_draws_other_ids() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report one id and leave at once
        os.write(write, new_id().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    os.close(write)
    assert child != new_id() and len(child) == 32


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"template": "T\ud800"}, "template"),
        ({"sign_name": "\udfffAcme"}, "sign_name"),
        ({"text": "code \ud83d"}, "text"),
        ({"out_id": "\ud800"}, "out_id"),
        ({"extend_code": "\udc00"}, "extend_code"),
        ({"idempotency_key": "k\ud800"}, "idempotency_key"),
        ({"templates": {"aliyun": "\ud800"}}, "templates.aliyun"),
        ({"sign_names": {"aliyun": "\ud800"}}, "sign_names.aliyun"),
        ({"templates": {"\ud800": "T"}}, "templates"),
        ({"params": {"code": "12\ud80034"}}, "params.code"),
        ({"params": {"c\ud800": "1"}}, "params"),
        ({"param_order": ["\ud800"]}, "param_order"),
    ],
)
def test_lone_surrogates_are_refused_at_construction_naming_the_field(fields, field):
    with pytest.raises(InvalidRequest) as info:
        Message(**{"to": "13800138000", "template": "T", **fields})
    assert info.value.field == field and "surrogate" in info.value.message
    assert "12" not in info.value.message  # the value itself (maybe a code) is never echoed


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"to": None}, "to"),
        ({"to": 13800138000}, "to"),
        ({"to": b"13800138000"}, "to"),
        ({"params": "x"}, "params"),
        ({"params": ["code", "1"]}, "params"),
        ({"params": {"code": 10**5000}}, "params.code"),
        ({"templates": "SMS_1"}, "templates"),
        ({"sign_names": ["Acme"]}, "sign_names"),
        ({"template": 5}, "template"),
        ({"sign_name": b"Acme"}, "sign_name"),
        ({"param_order": "code"}, "param_order"),
        ({"recipient_params": "x"}, "recipient_params"),
    ],
)
def test_values_of_the_wrong_type_are_typed_errors_naming_the_field(fields, field):
    with pytest.raises(InvalidRequest) as info:
        Message(**{"to": "13800138000", "template": "T", **fields})
    assert info.value.field == field and info.value.code == 46001


def test_a_status_is_hashed_as_its_value():
    """Counters keyed by status answer for the plain string too (``metrics.recipients["accepted"]``)."""
    counts = {Status.ACCEPTED: 2, Status.UNKNOWN: 1}
    assert counts["accepted"] == 2 and counts["unknown"] == 1 and "failed" not in counts
    assert {status.value: hash(status) for status in Status} == {status.value: hash(status.value) for status in Status}
