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


def toml(tmp_path, text):
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_markup_in_what_a_user_types_is_printed_as_is():
    result = runner.invoke(app, ["send", "--to", "[/x]", "--to", "[bold]1[/bold]", "--template", "T"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "'[/x]'" in result.stderr and "'[bold]1[/bold]'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_markup_in_a_provider_answer_is_shown_after_the_send(tmp_path, aliyun_server):
    aliyun_server.fail_phone("13900139000", "isv.MOBILE_NUMBER_ILLEGAL", "bad [/mobile] [red]number")
    settings = aliyun_server.settings()
    lines = "".join(f'{key} = "{value}"\n' for key, value in settings.items())
    config = toml(tmp_path, f'send_log = "log.db"\n[providers.aliyun]\n{lines}')
    args = ["send", "--config", str(config), "--to", "13900139000", "--template", "SMS_1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "[aliyun] rejected: bad [/mobile] [red]number (isv.MOBILE_NUMBER_ILLEGAL)" in result.stdout


def test_every_bad_number_is_named_and_nothing_is_sent(tmp_path):
    outbox = tmp_path / "o.jsonl"
    config = toml(tmp_path, f'[providers.file]\npath = "{outbox}"\n')
    args = ["send", "--config", str(config), "--to", "13800138000", "--to", "123", "--to", "abc", "--text", "hi"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "'123'" in result.stderr and "'abc'" in result.stderr
    assert not outbox.exists()


def test_json_is_alone_on_stdout_with_the_console_sink():
    result = runner.invoke(app, ["send", "--to", "13800138000", "--template", "SMS_1", "--param", "c=1", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["recipients"][0]["status"] == "accepted"
    assert "c=1" in result.stderr  # the console sink's human output


def test_region_sets_where_national_numbers_are():
    assert runner.invoke(app, ["send", "--to", "2025550123", "--template", "T"]).exit_code == 2
    result = runner.invoke(app, ["send", "--to", "2025550123", "--region", "US", "--template", "T", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["recipients"][0]["phone"] == "+12025550123"


def test_an_installed_but_unconfigured_provider_is_named_as_such(tmp_path):
    config = toml(tmp_path, "[providers.memory]\n")
    args = ["send", "--config", str(config), "--to", "13800138000", "--template", "T"]
    result = runner.invoke(app, [*args, "--provider", "aliyun", "--provider", "memroy"])
    assert result.exit_code == 2
    assert f"--provider 'aliyun': installed but not configured in {config}" in result.stderr
    assert "--provider 'memroy': unknown provider (did you mean 'memory'?)" in result.stderr


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("smsgate 0.")


def test_an_element_send_honours_provider_and_is_logged(tmp_path, aliyun_server):
    from tests.elements.helpers import aliyun_element, write_element

    aliyun_element(tmp_path / "app", "Ali", aliyun_server.server.endpoint)
    write_element(tmp_path / "app", "Dev", {"title": "t", "type": "SMS.Console", "backendBundleEntry": "."}, {})
    base = ["send", "--app", str(tmp_path / "app"), "--to", "13800138000", "--template", "SMS_1"]
    result = runner.invoke(app, [*base, "--provider", "aliyun", "--json"])
    assert result.exit_code == 0, result.output
    message_id = json.loads(result.stdout)["message_id"]
    assert aliyun_server.phones() == ["13800138000"]
    refused = runner.invoke(app, [*base, "--element", "SMS.Dev", "--provider", "aliyun"])
    assert refused.exit_code == 2 and "SMS.Dev sends through 'console', not --provider aliyun" in refused.stderr
    logged = runner.invoke(app, ["log", "--message-id", message_id, "--json"])
    assert logged.exit_code == 0
    assert "SMS.Ali" in {json.loads(line)["provider"] for line in logged.stdout.splitlines()}
