from smsgate import cli
from smsgate.extensions import ExtensionStore, generate_key


def test_new_key_then_rotate_keys(runner, tmp_path, monkeypatch):
    old = generate_key()
    monkeypatch.setenv("SMSGATE_EXTENSIONS_KEY", old)
    store = ExtensionStore(tmp_path / "ext.sqlite3")
    store.put_settings("t", "pkg", {"secret": "s3cr3t-value"}, secrets=["secret"])
    store.close()
    created = runner.invoke(cli.app, ["extensions", "new-key"])
    assert created.exit_code == 0
    new = created.output.strip()
    monkeypatch.setenv("SMSGATE_EXTENSIONS_KEY", f"{new},{old}")
    rotated = runner.invoke(cli.app, ["extensions", "rotate-keys", str(tmp_path / "ext.sqlite3")])
    assert rotated.exit_code == 0, rotated.output
    assert "1 secret(s) re-encrypted with the first key from $SMSGATE_EXTENSIONS_KEY" in rotated.output
    assert new not in rotated.output and old not in rotated.output
    monkeypatch.setenv("SMSGATE_EXTENSIONS_KEY", new)
    again = ExtensionStore(tmp_path / "ext.sqlite3")
    assert again.settings("t", "pkg").settings["secret"].get_secret_value() == "s3cr3t-value"
    again.close()


def test_rotate_keys_errors_are_one_line(runner, tmp_path, monkeypatch):
    monkeypatch.delenv("SMSGATE_EXTENSIONS_DB", raising=False)
    missing = runner.invoke(cli.app, ["extensions", "rotate-keys"])
    assert missing.exit_code == 2 and "$SMSGATE_EXTENSIONS_DB: no such extension store" in missing.output
    monkeypatch.setenv("SMSGATE_EXTENSIONS_KEY", generate_key())
    store = ExtensionStore(tmp_path / "ext.sqlite3")
    store.put_settings("t", "pkg", {"secret": "s3cr3t-value"}, secrets=["secret"])
    store.close()
    monkeypatch.setenv("SMSGATE_EXTENSIONS_KEY", generate_key())  # not the key it was written with
    wrong = runner.invoke(cli.app, ["extensions", "rotate-keys", str(tmp_path / "ext.sqlite3")])
    assert wrong.exit_code == 2 and "cannot be decrypted with the keys from $SMSGATE_EXTENSIONS_KEY" in wrong.output
    assert wrong.output.count("\n") == 1
