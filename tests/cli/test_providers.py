import json

from typer.testing import CliRunner

from smsgate.cli import app

runner = CliRunner()


def test_providers_lists_settings_schemas():
    result = runner.invoke(app, ["providers", "--json"])
    assert result.exit_code == 0
    described = {p["name"]: p for p in json.loads(result.output)}
    assert {"console", "file", "memory"} <= set(described)
    assert [f["name"] for f in described["file"]["settings"]] == ["path", "development"]


def test_providers_say_which_take_per_recipient_params_in_one_request():
    result = runner.invoke(app, ["providers", "--json"])
    described = {p["name"]: p for p in json.loads(result.output)}
    assert described["volcengine"]["per_recipient_params"] and described["aliyun"]["per_recipient_params"]
    assert not described["baidu"]["per_recipient_params"]
    text = runner.invoke(app, ["providers"]).output
    assert "volcengine  takes template, per-recipient params, up to 200 per request" in text
