"""``[campaigns]`` settings and ``open_store``."""

from __future__ import annotations

import pytest

from smsgate import ConfigError, PhoneLimits
from smsgate._config import load_config
from smsgate.campaigns import CampaignSettings, open_store
from smsgate.stores import SQLiteStore


def test_defaults_and_the_embedded_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMSGATE_CONFIG", raising=False)
    config = load_config()
    settings = CampaignSettings.of(config)
    assert settings.broker is None and settings.chunk_size == 1000 and settings.phone_limits() is None
    store = settings.open_store(config)
    assert isinstance(store, SQLiteStore) and store.path == "smsgate.sqlite3"
    store.close()


def test_limits_and_a_redis_store(tmp_path, redis_url):
    path = tmp_path / "c.toml"
    path.write_text(f'[providers.console]\n[campaigns]\nstore = "{redis_url}"\nlimits = {{per_day = 3}}\n')
    config = load_config(path)
    settings = CampaignSettings.of(config)
    assert settings.phone_limits() == PhoneLimits(per_day=3)
    store = settings.open_store(config)
    store.set("k", "v")
    assert type(store).__name__ == "RedisStore" and store.get("k") == "v"
    store.close()


def test_bad_settings_name_the_file_and_every_field(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[campaigns]\nchunk_size = 0\nlimits = {per_week = 1}\nbrokr = 'x'\n")
    with pytest.raises(ConfigError) as info:
        CampaignSettings.of(load_config(path))
    problems = "\n".join(info.value.problems)
    assert f"{path}: [campaigns]: chunk_size" in problems and "limits.per_week" in problems and "brokr" in problems


def test_a_store_url_of_another_kind_is_refused():
    with pytest.raises(ConfigError, match="postgresql:// is not a store"):
        open_store("postgresql://u@127.0.0.1/db")
