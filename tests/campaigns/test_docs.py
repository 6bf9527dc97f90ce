"""docs/campaigns.md runs as written; deploy/ holds a compose file and a config smsgate accepts."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from smsgate._config import load_config
from smsgate.campaigns import CampaignSettings, read_csv

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"<!-- run -->\n```python\n(.*?)```", re.S)


def test_the_examples_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    blocks = BLOCK.findall((ROOT / "docs/campaigns.md").read_text(encoding="utf-8"))
    assert len(blocks) == 3
    for number, block in enumerate(blocks):
        exec(compile(block, f"docs/campaigns.md block {number}", "exec"), {"__name__": "docs_example"})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "done 2 1" and printed[1].startswith("3 12345 ")
    assert printed[2:] == ["6 3", "['reminders']", "2"]


def test_the_deploy_config_is_valid():
    config = load_config(ROOT / "deploy/smsgate.toml")
    settings = CampaignSettings.of(config)
    assert settings.broker and settings.store_url(config).startswith("redis://")
    assert settings.limits(config) is not None and list(config.providers) == ["aliyun"]


def test_the_compose_file_names_what_exists():
    compose = yaml.safe_load((ROOT / "deploy/compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"redis", "worker", "emulator", "send"} <= set(services)
    assert services["worker"]["command"][:2] == ["smsgate", "worker"]
    for volume in services["worker"]["volumes"]:
        assert (ROOT / "deploy" / volume.split(":")[0]).is_file()
    assert (ROOT / services["worker"]["build"]["dockerfile"]).is_file()
    rows = list(read_csv(ROOT / "deploy/recipients.csv"))
    assert len(rows) == 201 and type(rows[-1]).__name__ == "Reject"


def test_import_smsgate_does_not_import_celery():
    code = "import sys, smsgate, smsgate.campaigns; assert 'celery' not in sys.modules, 'celery imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
