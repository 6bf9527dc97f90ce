from hypothesis import given
from hypothesis import strategies as st

from smsgate import available_providers
from smsgate.elements import element_types
from smsgate.elements._types import camel, provider_for_type, snake, type_for_provider


def test_every_registered_provider_is_a_type_and_back():
    types = element_types()
    assert sorted(types.values()) == available_providers()
    for type_name, provider in types.items():
        assert provider_for_type(type_name) == provider


def test_the_seed_names_and_the_irregular_ones():
    assert provider_for_type("SMS.Aliyun") == "aliyun"
    assert provider_for_type("SMS.Tencent") == "tencent"
    assert provider_for_type("SMS.AwsSns") == "sns"
    assert type_for_provider("sns") == "SMS.AwsSns"
    assert type_for_provider("huawei") == "SMS.Huawei"


def test_what_is_not_a_provider_type():
    for name in ("SMS.Meta", "SMS.Nope", "Aliyun", "sms.aliyun", "SMS."):
        assert provider_for_type(name) is None


def test_key_case_conversion():
    assert snake("accessKeyId") == "access_key_id"
    assert snake("access_key_id") == "access_key_id"
    assert snake("regionId") == "region_id"
    assert camel("connect_timeout") == "connectTimeout"


@given(st.lists(st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True), min_size=1, max_size=4))
def test_snake_undoes_camel(parts):
    name = "_".join(parts)
    assert snake(camel(name)) == name
