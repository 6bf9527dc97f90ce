from pydantic import SecretStr

from smsgate.extensions import MASK, ExtensionStore


def test_settings_are_per_tenant_and_package():
    store = ExtensionStore()
    store.put_settings("a", "pkg", {"key": "A"})
    store.put_settings("b", "pkg", {"key": "B"})
    store.put_settings("a", "pkg", {"key": "A2"})  # replaces
    assert store.settings("a", "pkg").settings == {"key": "A2"}
    assert store.settings("b", "pkg").settings == {"key": "B"}
    assert store.settings("c", "pkg") is None
    assert store.settings("a", "other") is None


def test_a_config_belongs_to_its_tenant_only():
    store = ExtensionStore()
    config_id = store.add_config("a", "pkg", {"sign_name": "A"}, name="login")
    assert store.config("a", config_id).config == {"sign_name": "A"}
    assert store.config("b", config_id) is None
    assert store.list_configs("b") == []
    assert not store.delete_config("b", config_id)
    assert store.delete_config("a", config_id)
    assert store.config("a", config_id) is None


def test_config_ids_are_unguessable():
    store = ExtensionStore()
    ids = {store.add_config("a", "pkg", {}) for _ in range(50)}
    assert len(ids) == 50 and all(len(i) == 32 for i in ids)


def test_secrets_are_masked_in_listings_and_wrapped_when_read():
    store = ExtensionStore()
    settings = {"id": "AK", "secret": SecretStr("s3cr3t"), "unset": None}
    store.put_settings("a", "pkg", settings, secrets=["secret", "unset"])
    store.add_config("a", "pkg", {"token": "t0k3n", "sign_name": "S"}, secrets=["token"], name="n")
    listed = store.list_settings("a") + store.list_configs("a")
    assert "s3cr3t" not in repr(listed) and "t0k3n" not in repr(listed)
    assert listed[0] == {"package": "pkg", "settings": {"id": "AK", "secret": MASK, "unset": None}}
    assert listed[1]["config"] == {"token": MASK, "sign_name": "S"}
    record = store.settings("a", "pkg")
    assert isinstance(record.settings["secret"], SecretStr)
    assert record.settings["secret"].get_secret_value() == "s3cr3t"
    assert "s3cr3t" not in repr(record)


def test_a_file_store_persists(tmp_path):
    path = tmp_path / "ext.sqlite3"
    store = ExtensionStore(path)
    config_id = store.add_config("a", "pkg", {"x": "1"})
    store.put_settings("a", "pkg", {"y": "2"})
    store.close()
    again = ExtensionStore(path)
    assert again.config("a", config_id).config == {"x": "1"}
    assert again.settings("a", "pkg").settings == {"y": "2"}
    again.close()


def test_the_path_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SMSGATE_EXTENSIONS_DB", str(tmp_path / "env.sqlite3"))
    store = ExtensionStore()
    assert store.path == str(tmp_path / "env.sqlite3")
    store.close()
