"""``smsgate verify start|check``: the id and expiry printed, never the code; exit 0 only when approved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smsgate.cli import app

KEYS = "k1:" + "a cli test key of thirty-two bytes or more"


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SMSGATE_VERIFY_KEYS", KEYS)
    path = tmp_path / "smsgate.toml"
    log, sink = tmp_path / "log.sqlite3", tmp_path / "out.jsonl"
    path.write_text(f'send_log = "{log}"\n[providers.file]\npath = "{sink}"\ndevelopment = true\n')
    return path


def sent_codes(config: Path) -> list[str]:
    lines = (config.parent / "out.jsonl").read_text().splitlines()
    return [json.loads(line)["params"]["code"] for line in lines]


def test_start_then_check(runner: CliRunner, config: Path) -> None:
    started = runner.invoke(
        app, ["verify", "start", "--to", "13800138000", "--template", "SMS_1", "--config", str(config)]
    )
    assert started.exit_code == 0, started.output
    code = sent_codes(config)[-1]
    vid, _, expires, *_ = started.output.split()
    assert code not in started.output and expires.startswith("20")
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    denied = runner.invoke(app, ["verify", "check", "--id", vid, "--code", wrong, "--config", str(config)])
    assert denied.exit_code == 1 and denied.output.strip() == "not approved" and code not in denied.output
    approved = runner.invoke(app, ["verify", "check", "--id", vid, "--code", code, "--config", str(config)])
    assert approved.exit_code == 0 and approved.output.strip() == "approved"
    reused = runner.invoke(app, ["verify", "check", "--id", vid, "--code", code, "--config", str(config)])
    assert reused.exit_code == 1 and reused.output.strip() == "not approved"


def test_start_as_json_has_no_code(runner: CliRunner, config: Path) -> None:
    args = ["verify", "start", "--to", "13800138000", "--template", "SMS_1", "--purpose", "signup", "--json"]
    result = runner.invoke(app, [*args, "--config", str(config)])
    data = json.loads(result.output)
    assert result.exit_code == 0 and data["purpose"] == "signup" and data["status"] == "pending"
    assert sent_codes(config)[-1] not in result.output


def test_bad_input_is_one_line_and_exit_2(runner: CliRunner, config: Path) -> None:
    result = runner.invoke(app, ["verify", "start", "--to", "010 12345678", "--template", "T", "--config", str(config)])
    assert result.exit_code == 2 and "46001" in result.output and "Traceback" not in result.output


def test_without_a_server_key(runner: CliRunner, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMSGATE_VERIFY_KEYS")
    result = runner.invoke(app, ["verify", "check", "--id", "x", "--code", "1", "--config", str(config)])
    assert result.exit_code == 2 and "SMSGATE_VERIFY_KEYS is not set" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_sink_not_told_it_is_for_development_masks_the_code(runner: CliRunner, config: Path) -> None:
    config.write_text(config.read_text().replace("development = true", "development = false"))
    result = runner.invoke(app, ["verify", "start", "--to", "13800138000", "--template", "T", "--config", str(config)])
    assert result.exit_code == 0 and sent_codes(config) == ["******"]
