import json

import pytest
from typer.testing import CliRunner

from smsgate.cli import app

from .helpers import SECRET, aliyun_element, write_element

runner = CliRunner()


@pytest.fixture(autouse=True)
def _in_a_fresh_directory(tmp_path, monkeypatch):
    """The CLI keeps its send log in the working directory: each test gets its own."""
    monkeypatch.chdir(tmp_path)


def test_check_passes_a_good_app(tmp_path):
    aliyun_element(tmp_path, "YourSmsName", "127.0.0.1:9")
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "1 element(s) OK: SMS.YourSmsName" in result.output


def test_check_prints_every_problem_and_fails(tmp_path):
    write_element(tmp_path, "A", {"title": "t", "type": "SMS.Aliyun", "backendBundleEntry": "."}, {"accessKey": "k"})
    write_element(tmp_path, "B", '{"title": ')
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 1
    for expected in (
        "SMS/A/sms.json: accessSecret: required",
        "SMS/A/sms.json: verifySign: required",
        "SMS/B/e.json: line 1, column 11: invalid JSON",
    ):
        assert expected in result.output
    assert "3 problem(s)" in result.output


def test_send_through_an_element(tmp_path, aliyun_server):
    aliyun_element(tmp_path, "YourSmsName", aliyun_server.server.endpoint)
    args = [
        "send",
        "--app",
        str(tmp_path),
        "--element",
        "SMS.YourSmsName",
        "--to",
        "13800138000",
        "--to",
        "13900139000",
        "--template",
        "SMS_123456789",
        "--param",
        "code=6789",
        "--json",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert [r["status"] for r in shown["recipients"]] == ["accepted", "accepted"]
    assert aliyun_server.phones() == ["13800138000", "13900139000"]
    assert aliyun_server.delivered[0].params == {"code": "6789"}


def test_send_reports_a_refusal_with_exit_1(tmp_path, aliyun_server):
    aliyun_element(tmp_path, "Only", aliyun_server.server.endpoint)
    aliyun_server.fail_phone("13800138000", "isv.MOBILE_NUMBER_ILLEGAL", "bad number")
    args = ["send", "--app", str(tmp_path), "--to", "13800138000", "--template", "SMS_1", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1  # the only element is used when none is named
    [row] = json.loads(result.output)["recipients"]
    assert row["error"]["code"] == 46002 and row["error"]["provider_code"] == "isv.MOBILE_NUMBER_ILLEGAL"
    assert SECRET not in result.output


def test_send_with_a_bad_app_or_element_exits_2(tmp_path):
    write_element(tmp_path, "A", {"title": "t", "type": "SMS.Nope", "backendBundleEntry": "."})
    result = runner.invoke(app, ["send", "--app", str(tmp_path), "--to", "13800138000", "--template", "SMS_1"])
    assert result.exit_code == 2 and "SMS/A/e.json: type: unknown type 'SMS.Nope'" in result.output
    result = runner.invoke(app, ["send", "--element", "SMS.A", "--to", "13800138000", "--template", "SMS_1"])
    assert result.exit_code == 2 and "--element needs --app" in result.output
