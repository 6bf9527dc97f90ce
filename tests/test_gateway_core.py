"""Reading a provider's rows: in the request's order, one per recipient, or an unknown outcome."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Message, OutcomeUnknown, PhoneNumber, Status
from smsgate._gateway_core import _in_order
from smsgate._models import RecipientResult
from smsgate._steps import Job
from smsgate.providers.memory import MemoryProvider

PHONES = [PhoneNumber.parse(f"1380013800{i}") for i in range(6)]


def job(count: int) -> Job:
    message = Message(to=[p.e164 for p in PHONES[:count]], template="T").normalised()
    return Job(MemoryProvider(), message, message.phones)


def rows(phones: list[PhoneNumber]) -> list[RecipientResult]:
    return [RecipientResult(p, Status.ACCEPTED, "memory") for p in phones]


@given(st.permutations(PHONES))
def test_rows_in_any_order_come_back_in_the_requests_order(shuffled: list[PhoneNumber]) -> None:
    ordered = _in_order(job(len(PHONES)), rows(shuffled))
    assert [r.phone for r in ordered] == PHONES


@pytest.mark.parametrize("answered", [PHONES[:2], PHONES[:3] + PHONES[:1], PHONES[:2] + PHONES[:1], []])
def test_rows_not_one_per_recipient_are_an_unknown_outcome(answered: list[PhoneNumber]) -> None:
    with pytest.raises(OutcomeUnknown, match="every recipient"):
        _in_order(job(3), rows(answered))


def test_one_row_for_one_phone_is_taken_as_it_is() -> None:
    one = job(1)
    answered = rows([PhoneNumber.parse("13800138000")])  # equal, not the same object
    assert _in_order(one, answered) == answered
