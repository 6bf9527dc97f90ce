import pytest

from smsgate import Message
from smsgate.testing import memory_gateway, outbox_of, sms_gateway, sms_outbox  # noqa: F401 (fixtures)


def test_memory_gateway_outbox():
    gateway = memory_gateway()
    gateway.send(Message(to="13800138000", template="SMS_1", params={"code": "1"}))
    outbox = outbox_of(gateway)
    assert outbox.last.params == {"code": "1"} and outbox.to("+8613800138000") == [outbox.last]


def test_empty_outbox_last_fails_clearly():
    with pytest.raises(AssertionError, match="no SMS was sent"):
        _ = outbox_of(memory_gateway()).last


async def test_async_memory_gateway():
    gateway = memory_gateway(asynchronous=True)
    result = await gateway.send(Message(to="13800138000", text="hi"))
    assert result.ok and outbox_of(gateway).last.text == "hi"


def test_fixtures(sms_gateway, sms_outbox):  # noqa: F811
    sms_gateway.send(Message(to="13800138000", template="T"))
    assert len(sms_outbox) == 1
