"""Stored results: what a replay returns."""

from __future__ import annotations

import json
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Attempt, Message, PhoneNumber, RecipientResult, SendResult, Status
from smsgate._errors import Category, InvalidRequest, OutcomeUnknown, Rejected, Throttled
from smsgate.policy.idempotency import decode_result, encode_result, fingerprint, same_message, worth_keeping

PHONES = [PhoneNumber.parse(f"1380013800{i}") for i in range(4)]
ERRORS = [
    None,
    Rejected("bad", category=Category.RECIPIENT, provider_code="isv.X"),
    OutcomeUnknown("t"),
    Throttled("s"),
]
PINNED_FINGERPRINT = "05d7984315641ecf8f6e29b79aaabb0b"


@given(
    st.lists(
        st.tuples(st.sampled_from(range(4)), st.sampled_from(range(4))),
        min_size=1,
        max_size=4,
        unique_by=lambda t: t[0],
    )
)
def test_round_trip_keeps_what_a_caller_reads(rows: list[tuple[int, int]]) -> None:
    recipients = []
    for phone_i, error_i in rows:
        error = ERRORS[error_i]
        if error is None:
            recipients.append(RecipientResult(PHONES[phone_i], Status.ACCEPTED, "aliyun", message_id=f"id{phone_i}"))
        else:
            recipients.append(RecipientResult.failed(PHONES[phone_i], error, "aliyun"))
    attempt = Attempt("aliyun", tuple(p.e164 for p in PHONES), Status.ACCEPTED, number=2, elapsed=0.5)
    original = SendResult(recipients=tuple(recipients), attempts=(attempt,), responses=({"raw": "x"},))
    replay = decode_result(encode_result(original))
    assert replay.replayed and replay.responses == ()
    assert replay.to_dict() == {**original.to_dict(), "replayed": True}
    for before, after in zip(original.recipients, replay.recipients, strict=True):
        assert type(before.error) is type(after.error)
    pickle.loads(pickle.dumps(replay))


def test_worth_keeping_only_what_may_have_been_delivered() -> None:
    def result(status: Status) -> SendResult:
        return SendResult(recipients=(RecipientResult(PHONES[0], status),))

    assert worth_keeping(result(Status.ACCEPTED)) and worth_keeping(result(Status.UNKNOWN))
    assert not worth_keeping(result(Status.REJECTED)) and not worth_keeping(result(Status.FAILED))


def test_a_key_is_tied_to_its_message() -> None:
    import pytest

    from smsgate import Gateway, InvalidRequest, Message
    from smsgate.providers.memory import MemoryProvider

    provider = MemoryProvider(alias="memory")
    with Gateway([provider]) as gateway:
        first = gateway.send(Message(to="13800138000", template="T", params={"code": "1"}, idempotency_key="k"))
        again = gateway.send(Message(to="+86 138 0013 8000", template="T", params={"code": "1"}, idempotency_key="k"))
        assert again.replayed and again.message_id == first.message_id
        for other in (
            Message(to="13800138000", template="T", params={"code": "2"}, idempotency_key="k"),
            Message(to="13900139000", template="T", params={"code": "1"}, idempotency_key="k"),
        ):
            with pytest.raises(InvalidRequest) as info:
                gateway.send(other)
            assert info.value.field == "idempotency_key" and "2" not in str(info.value)
    assert len(provider.outbox) == 1


@given(st.floats(min_value=0, max_value=4e9, allow_nan=False), st.text("0123456789abcdef", min_size=32, max_size=32))
def test_a_sent_claim_names_its_message_and_lease(lease: float, message_id: str) -> None:
    import pytest

    from smsgate import InvalidRequest
    from smsgate.policy.idempotency import claim_parts, claim_value, same_message, sent_value

    value = sent_value("d1", message_id, lease)
    assert claim_parts(value) == ("d1", message_id, lease)
    assert claim_parts(claim_value("d1")) == ("d1", None, None)
    assert same_message(value, "d1") == value
    with pytest.raises(InvalidRequest):
        same_message(value, "d2")


def test_an_interrupted_send_answers_what_its_log_shows() -> None:
    from smsgate.policy.idempotency import interrupted

    result = interrupted("m1", PHONES[:2], {PHONES[0].e164: ("aliyun", "biz-1")})
    assert result.replayed and result.message_id == "m1"
    assert [r.status for r in result.recipients] == [Status.ACCEPTED, Status.UNKNOWN]
    assert result.recipients[0].message_id == "biz-1" and isinstance(result.recipients[1].error, OutcomeUnknown)
    assert not result.ok


def test_a_result_stored_by_the_standard_json_encoder_still_decodes() -> None:
    # what encode_result wrote before it used orjson: json.dumps(..., separators=(",", ":"), ensure_ascii=False)
    error = Rejected("bad number ½", category=Category.RECIPIENT, provider="aliyun", provider_code="isv.X")
    rows = (
        RecipientResult(PHONES[0], Status.ACCEPTED, "aliyun", message_id="m-0"),
        RecipientResult.failed(PHONES[1], error, "aliyun"),
    )
    attempt = Attempt("aliyun", (PHONES[0].e164, PHONES[1].e164), Status.ACCEPTED, None, 1.5e-05, 0.25, 1)
    result = SendResult(rows, (attempt,), message_id="msg-1")
    old = json.dumps({**result.to_dict(), "fingerprint": "d" * 32}, separators=(",", ":"), ensure_ascii=False)
    for text in (old, encode_result(result, "d" * 32)):
        assert json.loads(text) == json.loads(old)  # the same document, whichever encoder wrote it
        assert same_message(text, "d" * 32) == text
        with pytest.raises(InvalidRequest, match="different message"):
            decode_result(text, "e" * 32)
        again = decode_result(text, "d" * 32)
        assert again.replayed and again.message_id == "msg-1"
        assert [(r.phone, r.status, r.message_id) for r in again.recipients] == [
            (r.phone, r.status, r.message_id) for r in rows
        ]
        assert again[PHONES[1].e164].error is not None and again[PHONES[1].e164].error.message == "bad number ½"
        assert again.attempts[0].started_at == 1.5e-05


def test_a_fingerprint_is_stable_across_versions() -> None:
    # claims outlive a process: a retry after an upgrade must still match the claim it left
    message = Message(to=["13800138000"], template="T", params={"code": "1234"}).normalised("CN")
    assert fingerprint(message) == PINNED_FINGERPRINT
