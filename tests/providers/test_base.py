import pytest

from smsgate import ConfigError
from smsgate.providers.aliyun import AliyunProvider


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 1e15, 3601, 0, -1, "inf", "1" * 5000])
@pytest.mark.parametrize("name", ["timeout", "connect_timeout"])
def test_non_finite_or_absurd_timeouts_are_refused_naming_the_setting(name, value):
    with pytest.raises(ConfigError, match=f"^provider 'aliyun': {name}: ") as info:
        AliyunProvider(access_key_id="a", access_key_secret="b", **{name: value})
    assert len(info.value.problems) == 1
