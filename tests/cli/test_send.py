import json

from typer.testing import CliRunner

from smsgate.cli import app

runner = CliRunner()


def test_send_to_the_embedded_console(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMSGATE_CONFIG", raising=False)
    result = runner.invoke(
        app, ["send", "--to", "13800138000", "--template", "SMS_1", "--param", "code=123456", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert "code=123456" in result.output
    data = json.loads(result.output[result.output.index("{") :])
    assert data["ok"] and data["recipients"][0]["phone"] == "+8613800138000"


def test_send_with_a_config_file_and_provider_choice(tmp_path):
    outbox = tmp_path / "o.jsonl"
    config = tmp_path / "c.toml"
    config.write_text(f'[providers.console]\n[providers.file]\npath = "{outbox}"\n')
    result = runner.invoke(
        app, ["send", "--config", str(config), "--provider", "file", "--to", "13800138000", "--text", "hi"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(outbox.read_text())["text"] == "hi"


def test_user_errors_are_one_line_with_exit_code_2(tmp_path):
    bad_phone = runner.invoke(app, ["send", "--to", "123", "--template", "T"])
    assert bad_phone.exit_code == 2 and "error 46001" in bad_phone.output and "'123'" in bad_phone.output
    assert "Traceback" not in bad_phone.output
    bad_param = runner.invoke(app, ["send", "--to", "13800138000", "--template", "T", "--param", "oops"])
    assert bad_param.exit_code == 2 and "expected key=value" in bad_param.output
    missing = runner.invoke(
        app, ["send", "--config", str(tmp_path / "none.toml"), "--to", "13800138000", "--template", "T"]
    )
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_a_failed_send_exits_1(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("[providers.console]\n")
    result = runner.invoke(app, ["send", "--config", str(config), "--to", "13800138000", "--text", "Hi ${name}"])
    assert result.exit_code == 2 and "'name'" in result.output
