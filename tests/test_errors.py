import json
import pickle

import pytest

import smsgate
from smsgate import Category, ConfigError, OutcomeUnknown, PolicyRefused, Rejected, SmsError, Throttled, Unreachable


@pytest.mark.parametrize(
    ("cls", "code"),
    [
        (smsgate.InvalidRequest, 46001),
        (Rejected, 46002),
        (Throttled, 46002),
        (smsgate.RequestFailed, 46003),
        (Unreachable, 46003),
        (OutcomeUnknown, 46003),
    ],
)
def test_seed_codes(cls, code):
    assert cls("x").code == code and issubclass(cls, SmsError)


def test_categories_decide_failover_and_retry():
    assert Throttled("slow").failover and Throttled("slow").retryable
    assert Unreachable("down").failover and Unreachable("down").retryable
    assert not OutcomeUnknown("timeout").failover and not OutcomeUnknown("timeout").retryable
    assert Rejected("auth", category=Category.AUTH).failover
    assert not Rejected("bad number", category=Category.RECIPIENT).failover
    assert not Throttled("per number", retryable=False).retryable


def test_str_and_repr_name_provider_and_code():
    e = Rejected(
        "template not approved", provider="aliyun", provider_code="isv.SMS_TEMPLATE_ILLEGAL", category=Category.TEMPLATE
    )
    assert str(e) == "[aliyun] template not approved (isv.SMS_TEMPLATE_ILLEGAL)"
    assert "code=46002" in repr(e) and "'template'" in repr(e)


def test_errors_pickle_and_serialise():
    e = Throttled("slow down", provider="tencent", provider_code="RequestLimitExceeded", retry_after=2.0, raw={"x": 1})
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is Throttled and back.retry_after == 2.0 and back.provider == "tencent" and str(back) == str(e)
    assert json.loads(json.dumps(e.to_dict()))["category"] == "throttled"
    p = pickle.loads(pickle.dumps(PolicyRefused("limit", rule="per_phone")))
    assert p.rule == "per_phone" and p.code == 46004


def test_config_error_lists_every_problem():
    e = ConfigError(["a.toml: x: bad", "a.toml: y: bad"])
    assert e.problems == ["a.toml: x: bad", "a.toml: y: bad"] and "x: bad; a.toml: y" in str(e) and e.code == 46010
