import pickle

from smsgate import Category, Gateway, Message, RetryPolicy, Status
from smsgate.providers.memory import MemoryProvider


def gateway(*providers: MemoryProvider) -> Gateway:
    return Gateway(list(providers), sleep=lambda _: None, retry=RetryPolicy(base_delay=0))


def test_outbox_records_what_was_sent():
    memory = MemoryProvider()
    result = gateway(memory).send(Message(to=["13800138000"], template="SMS_1", params={"code": "1"}))
    assert (
        result.ok
        and memory.outbox.last.to == "+8613800138000"
        and memory.outbox.to("13800138000")[0].params == {"code": "1"}
    )


def test_fail_with_a_category_for_some_phones():
    memory = MemoryProvider()
    memory.fail_with("recipient", times=None, phones=["13900139000"])
    result = gateway(memory).send(Message(to=["13800138000", "13900139000"], template="T"))
    assert result["13800138000"].ok
    bad = result["13900139000"]
    assert bad.status is Status.REJECTED and bad.error is not None and bad.error.category is Category.RECIPIENT
    assert bad.error.provider == "memory" and len(memory.outbox) == 1


def test_failover_to_a_second_memory_provider_on_throttling():
    first, second = MemoryProvider(alias="first"), MemoryProvider(alias="second")
    first.fail_with("throttled", times=None)
    result = gateway(first, second).send(Message(to="13800138000", template="T"))
    assert result.ok and result.recipients[0].provider == "second" and len(second.outbox) == 1
    assert [(a.provider, a.number) for a in result.attempts] == [
        ("first", 1),
        ("first", 2),
        ("first", 3),
        ("second", 1),
    ]


def test_unknown_outcome_is_never_failed_over():
    first, second = MemoryProvider(alias="first"), MemoryProvider(alias="second")
    first.fail_with("unknown")
    result = gateway(first, second).send(Message(to="13800138000", template="T"))
    assert result.recipients[0].status is Status.UNKNOWN and second.outbox == []


def test_simulated_errors_survive_pickling():
    memory = MemoryProvider()
    memory.fail_with("auth")
    result = gateway(memory).send(Message(to="13800138000", template="T"))
    error = pickle.loads(pickle.dumps(result.recipients[0].error))
    assert error.category is Category.AUTH and error.provider == "memory"
