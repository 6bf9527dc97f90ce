"""Extension secrets are encrypted at rest: keys, their sources, and rotation."""

import os
import sqlite3
import stat
import subprocess
import sys

import pytest
from pydantic import SecretStr

from smsgate import ConfigError
from smsgate.extensions import ExtensionStore
from smsgate.extensions._keys import ENV_KEY, ENV_KEY_FILE, Keys, generate_key

SECRET = "Zq9-planted-secret-7Hx"


def raw_bytes(path) -> bytes:
    """Everything on disk for the database: the file and its journal."""
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if not p.name.endswith(".key"))


def filled(path, **options) -> tuple[ExtensionStore, str]:
    store = ExtensionStore(path, **options)
    store.put_settings("t", "pkg", {"id": "AK", "secret": SecretStr(SECRET)}, secrets=["secret"])
    config_id = store.add_config("t", "pkg", {"token": SECRET, "sign": "S"}, secrets=["token"])
    return store, config_id


def test_secrets_are_never_in_the_sqlite_file_in_clear(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_KEY, raising=False)
    monkeypatch.delenv(ENV_KEY_FILE, raising=False)
    path = tmp_path / "ext.sqlite3"
    store, config_id = filled(path)
    store.close()
    on_disk = raw_bytes(path)
    assert b"AK" in on_disk and SECRET.encode() not in on_disk and b"planted" not in on_disk
    dumped = "\n".join(sqlite3.connect(path).iterdump())
    assert SECRET not in dumped and "gAAAAA" in dumped  # Fernet tokens in its place
    again = ExtensionStore(path)  # the key file beside the database opens it again
    assert again.settings("t", "pkg").settings["secret"].get_secret_value() == SECRET
    assert again.config("t", config_id).config["token"].get_secret_value() == SECRET
    key_file = tmp_path / "ext.sqlite3.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert SECRET not in repr(again.keys) and key_file.read_text().strip() not in repr(again.keys)


def test_keys_from_the_environment_and_rotation(tmp_path, monkeypatch):
    path = tmp_path / "ext.sqlite3"
    old, new = generate_key(), generate_key()
    monkeypatch.setenv(ENV_KEY, old)
    store, config_id = filled(path)
    store.close()
    assert not (tmp_path / "ext.sqlite3.key").exists()
    monkeypatch.setenv(ENV_KEY, f"{new},{old}")  # the new key first; the old one still decrypts
    rotating = ExtensionStore(path)
    assert rotating.rotate_keys() == 2
    rotating.close()
    monkeypatch.setenv(ENV_KEY, new)  # the old key dropped: everything was re-encrypted
    after = ExtensionStore(path)
    assert after.settings("t", "pkg").settings["secret"].get_secret_value() == SECRET
    assert after.config("t", config_id).config["token"].get_secret_value() == SECRET
    after.close()
    monkeypatch.setenv(ENV_KEY, old)
    stale = ExtensionStore(path)
    refusal = rf"settings of 'pkg' for tenant 't': secret: cannot be decrypted .* \${ENV_KEY}"
    with pytest.raises(ConfigError, match=refusal):
        stale.settings("t", "pkg")
    stale.close()


def test_a_key_file_from_the_environment(tmp_path, monkeypatch):
    key_file = tmp_path / "keys.txt"
    key_file.write_text(generate_key() + "\n")
    monkeypatch.delenv(ENV_KEY, raising=False)
    monkeypatch.setenv(ENV_KEY_FILE, str(key_file))
    store, _ = filled(tmp_path / "ext.sqlite3")
    assert store.keys.source == str(key_file)
    assert store.settings("t", "pkg").settings["secret"].get_secret_value() == SECRET
    monkeypatch.setenv(ENV_KEY_FILE, str(tmp_path / "missing.txt"))
    with pytest.raises(ConfigError, match=r"missing\.txt: cannot read the extension key file"):
        ExtensionStore(tmp_path / "other.sqlite3")


@pytest.mark.parametrize("bad", ["", "not-a-key", "c2hvcnQ=", "x" * 44])
def test_bad_keys_are_config_errors_that_never_echo_the_key(bad):
    with pytest.raises(ConfigError) as info:
        Keys([bad] if bad else [], "$SMSGATE_EXTENSIONS_KEY")
    assert info.value.message.startswith("$SMSGATE_EXTENSIONS_KEY: ")
    assert not bad or bad not in str(info.value)


def test_rotation_rolls_back_when_a_secret_cannot_be_decrypted(tmp_path, monkeypatch):
    path = tmp_path / "ext.sqlite3"
    monkeypatch.setenv(ENV_KEY, generate_key())
    store, _ = filled(path)
    store.close()
    before = raw_bytes(path)
    monkeypatch.setenv(ENV_KEY, generate_key())  # the only key that could decrypt is gone
    wrong = ExtensionStore(path)
    with pytest.raises(ConfigError, match="cannot be decrypted"):
        wrong.rotate_keys()
    wrong.close()
    assert raw_bytes(path) == before


def test_import_smsgate_does_not_import_cryptography():
    code = "import sys, smsgate; from smsgate.extensions import Platform; print('cryptography' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ)
    assert out.stdout.strip() == "False"
