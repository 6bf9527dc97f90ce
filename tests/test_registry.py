import pytest

from smsgate import ConfigError, available_providers, provider_class
from smsgate._registry import build_providers
from smsgate.providers.console import ConsoleProvider
from smsgate.providers.memory import MemoryProvider

BUILT_IN = {"aliyun", "tencent", "huawei", "twilio", "sns", "vonage", "console", "file", "memory"}


def test_built_ins_are_entry_points():
    assert set(available_providers()) >= BUILT_IN
    for name in BUILT_IN:
        assert provider_class(name).name == name


def test_unknown_provider_lists_the_installed_ones():
    with pytest.raises(ConfigError, match=r"unknown provider 'acme' \(installed: .*aliyun") as info:
        provider_class("acme")
    assert info.value.code == 46010


def test_several_accounts_of_one_provider_by_alias():
    built = build_providers(
        {"marketing": {"provider": "console"}, "codes": {"provider": "console", "stream": "stderr"}}
    )
    assert [type(p) for p in built.values()] == [ConsoleProvider, ConsoleProvider]
    assert [p.alias for p in built.values()] == ["marketing", "codes"]


def test_instances_by_name_or_in_a_list():
    memory = MemoryProvider()
    assert build_providers({"test": memory})["test"] is memory and memory.alias == "test"
    assert list(build_providers([MemoryProvider(alias="a"), MemoryProvider(alias="b")])) == ["a", "b"]


def test_every_bad_provider_is_reported_at_once():
    with pytest.raises(ConfigError) as info:
        build_providers({"a": {"provider": "nope"}, "b": {"provider": "console", "colour": "red"}, "c": 42})
    text = "\n".join(info.value.problems)
    assert "unknown provider 'nope'" in text and "provider 'b': colour: unknown setting" in text
    assert "provider 'c': expected a settings table" in text


def test_no_providers():
    with pytest.raises(ConfigError, match="no providers configured"):
        build_providers({})
