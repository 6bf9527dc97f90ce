import json

from typer.testing import CliRunner

from smsgate.cli import app

runner = CliRunner()


def test_log_shows_what_send_recorded(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMSGATE_CONFIG", raising=False)
    sent = runner.invoke(app, ["send", "--to", "13800138000", "--to", "13900139000", "--template", "SMS_1", "--json"])
    message_id = json.loads(sent.output[sent.output.index("{") :])["message_id"]
    result = runner.invoke(app, ["log", "--phone", "13900139000", "--json"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert {r["kind"] for r in records} == {"message", "attempt"}
    assert all(r["message_id"] == message_id and r["status"] == "accepted" for r in records)


def test_log_without_a_send_log(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("[providers.memory]\n")
    result = runner.invoke(app, ["log", "--config", str(config)])
    assert result.exit_code == 2 and "no send_log is configured" in result.output
