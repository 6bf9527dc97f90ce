"""``[campaigns]`` settings: where campaigns keep state, their limits and their gateway."""

from __future__ import annotations

import pytest

from smsgate import Campaign, ConfigError, InvalidRequest, PhoneLimits
from smsgate._config import load_config
from smsgate.campaigns import CampaignSettings
from smsgate.stores import SQLiteStore
from smsgate.testing import memory_gateway


def test_defaults_keep_campaigns_in_the_send_log_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMSGATE_CONFIG", raising=False)
    config = load_config()
    settings = CampaignSettings.of(config)
    assert settings.broker is None and settings.chunk_size == 1000 and settings.limits(config) is None
    store = settings.open_store(config)
    assert isinstance(store, SQLiteStore) and store.path == "smsgate.sqlite3"
    store.close()


def test_the_shared_store_and_limits_counted_per_row(tmp_path, redis_url):
    path = tmp_path / "c.toml"
    path.write_text(f'store = "{redis_url}"\n[providers.console]\n[limits]\nper_day = 3\n[campaigns]\nchunk_size = 5\n')
    config = load_config(path)
    settings = CampaignSettings.of(config)
    assert settings.limits(config) == PhoneLimits(per_day=3) and settings.chunk_size == 5
    store = settings.open_store(config)
    with settings.gateway(config, store) as gateway:
        assert gateway.limits is None and gateway.store is store  # the campaign counts the limits, per row
    store.set("k", "v")
    assert type(store).__name__ == "RedisStore" and store.get("k") == "v"
    store.close()


def test_bad_settings_name_the_file_and_every_field(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[campaigns]\nchunk_size = 0\nbrokr = 'x'\n")
    with pytest.raises(ConfigError) as info:
        CampaignSettings.of(load_config(path))
    problems = "\n".join(info.value.problems)
    assert f"{path}: [campaigns]: chunk_size" in problems and "brokr" in problems


def test_a_gateway_with_its_own_limits_is_refused():
    with memory_gateway(limits=PhoneLimits(per_day=1)) as gateway, pytest.raises(InvalidRequest) as info:
        Campaign(["13800138000"], template="SMS_1").run(gateway)
    assert info.value.field == "limits" and "Campaign(limits=" in str(info.value)
