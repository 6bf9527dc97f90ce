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
