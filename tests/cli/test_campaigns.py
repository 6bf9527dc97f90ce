"""``smsgate send --csv``, ``smsgate campaigns …``: bulk sends from the command line."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import redis
from typer.testing import CliRunner

from smsgate import DeliveryReport, DeliveryStatus
from smsgate.campaigns import Campaigns, count_deliveries
from smsgate.cli import app
from smsgate.stores import SQLiteStore

runner = CliRunner()


def write_csv(path: Path, n: int, bad: dict[int, str] | None = None) -> Path:
    """``n`` rows (phone, code); row numbers in ``bad`` get that phone instead."""
    with path.open("w", encoding="utf-8", newline="") as dst:
        writer = csv.writer(dst)
        writer.writerow(["phone", "code"])
        for number in range(1, n + 1):
            writer.writerow([(bad or {}).get(number, f"138{number:08d}"), str(number)])
    return path


def config_for(path: Path, emulator, store: str | None = None, **campaigns: object) -> Path:
    lines = [f"store = {json.dumps(store or str(path.parent / 'state.sqlite3'))}"]
    lines += ["[providers.aliyun]", *(f"{k} = {json.dumps(v)}" for k, v in emulator.settings().items())]
    lines += ["[campaigns]", *(f"{k} = {json.dumps(v)}" for k, v in campaigns.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_csv_is_sent_and_every_bad_row_named(tmp_path, aliyun_server):
    config = config_for(tmp_path / "smsgate.toml", aliyun_server)
    source = write_csv(tmp_path / "r.csv", 2500, {7: "12345", 1900: "", 2500: "010 1234 5678"})
    result = runner.invoke(
        app, ["send", "--csv", str(source), "--template", "SMS_1", "--rejects", "rejects.csv", "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    assert "accepted 2,497" in result.output and "invalid 3" in result.output
    delivered = Counter(aliyun_server.phones())
    assert len(delivered) == 2497 and set(delivered.values()) == {1}
    with open("rejects.csv", encoding="utf-8", newline="") as src:
        rejects = list(csv.DictReader(src))
    assert [(r["row"], r["phone"]) for r in rejects] == [("7", "12345"), ("1900", ""), ("2500", "010 1234 5678")]
    assert "not a mobile number" in rejects[2]["reason"]


def test_list_show_pause_resume(tmp_path, aliyun_server):
    config = config_for(tmp_path / "smsgate.toml", aliyun_server)
    source = write_csv(tmp_path / "r.csv", 10)
    sent = runner.invoke(app, ["send", "--csv", str(source), "--template", "SMS_1", "--config", str(config)])
    campaign_id = sent.output.split("campaign ", 1)[1].split()[0]
    listed = runner.invoke(app, ["campaigns", "list", "--json", "--config", str(config)])
    assert [c["id"] for c in json.loads(listed.output)] == [campaign_id]
    shown = json.loads(runner.invoke(app, ["campaigns", "show", campaign_id, "--json", "--config", str(config)]).output)
    assert shown["status"] == "done" and shown["counts"]["accepted"] == 10 and shown["source"] == str(source)
    refused = runner.invoke(app, ["campaigns", "pause", campaign_id, "--config", str(config)])
    assert refused.exit_code == 2 and "is done: cannot be paused" in refused.output
    unknown = runner.invoke(app, ["campaigns", "show", "nope", "--config", str(config)])
    assert unknown.exit_code == 2 and "no campaign 'nope'" in unknown.output and "Traceback" not in unknown.output


def test_bad_input_is_one_line_and_sends_nothing(tmp_path, aliyun_server):
    config = config_for(tmp_path / "smsgate.toml", aliyun_server)
    (tmp_path / "nophone.csv").write_text("mobile,code\n13800138000,1\n", encoding="utf-8")
    cases = [
        (["--csv", str(tmp_path / "absent.csv")], "no such file"),
        (["--csv", str(tmp_path / "nophone.csv")], "no 'phone' column"),
        (["--csv", str(tmp_path / "nophone.csv"), "--phone-column", "mobile", "--param-column", "x"], "no column 'x'"),
        (["--resume", "nope"], "no campaign 'nope'"),
    ]
    for args, message in cases:
        result = runner.invoke(app, ["send", *args, "--template", "SMS_1", "--config", str(config)])
        assert result.exit_code == 2 and message in result.output, (args, result.output)
    assert aliyun_server.phones() == []


def test_bad_campaign_settings_name_the_file_and_field(tmp_path, aliyun_server):
    config = config_for(tmp_path / "smsgate.toml", aliyun_server, chunk_size=0, colour="blue")
    result = runner.invoke(app, ["campaigns", "list", "--config", str(config)])
    assert result.exit_code == 2 and "[campaigns]: chunk_size" in result.output and "colour" in result.output


def test_worker_needs_a_broker(tmp_path, aliyun_server):
    config = config_for(tmp_path / "smsgate.toml", aliyun_server)
    result = runner.invoke(app, ["worker", "--config", str(config)])
    assert result.exit_code == 2 and "broker is not set" in result.output


def test_with_a_broker_the_chunks_are_queued(tmp_path, aliyun_server, redis_server):
    redis_server.flush()
    broker = f"redis://127.0.0.1:{redis_server.port}/1"
    config = config_for(tmp_path / "smsgate.toml", aliyun_server, broker=broker, store=redis_server.url, chunk_size=100)
    source = write_csv(tmp_path / "r.csv", 250, {3: "12345"})
    result = runner.invoke(app, ["send", "--csv", str(source), "--template", "SMS_1", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "running" in result.output and "queued 249" in result.output
    assert redis.Redis.from_url(broker).llen("celery") == 3 and aliyun_server.phones() == []


def test_ctrl_c_pauses_and_resume_sends_each_row_once(tmp_path, aliyun_server):
    """A smaller `benchmarks/campaign_million.py`: interrupted at about half, resumed, counted at the emulator."""
    rows = 20_000
    config = config_for(tmp_path / "smsgate.toml", aliyun_server, chunk_size=500)
    bad = {n: "12345" for n in range(17, rows, 997)}
    source = write_csv(tmp_path / "r.csv", rows, bad)
    smsgate = str(Path(sys.executable).with_name("smsgate"))
    command = [smsgate, "send", "--csv", str(source), "--template", "SMS_1", "--config", str(config)]
    first = subprocess.Popen(
        [*command, "--rejects", "rejects.csv"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    store = SQLiteStore(tmp_path / "state.sqlite3")
    deadline = time.monotonic() + 60
    while not (listed := Campaigns(store).list()) or listed[0].finished < rows // 2:
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()
        time.sleep(0.05)
    first.send_signal(signal.SIGINT)
    _, err = first.communicate(timeout=60)
    assert first.returncode == 130, err.decode()
    campaign_id = listed[0].id
    paused = Campaigns(store).get(campaign_id)
    assert paused.status == "paused" and paused.counts["total"] < rows and paused.counts["unknown"] == 0
    assert f"smsgate send --resume {campaign_id}" in err.decode()

    again = [*command[:2], "--resume", campaign_id, "--rejects", "rejects.csv", "--config", str(config)]
    second = subprocess.run(again, cwd=tmp_path, capture_output=True, timeout=120)
    assert second.returncode == 0, second.stderr.decode()
    final = Campaigns(store).get(campaign_id)
    delivered = Counter(aliyun_server.phones())
    assert len(delivered) == rows - len(bad) and set(delivered.values()) == {1}
    assert (
        final.status == "done" and final.counts["accepted"] == rows - len(bad) and final.counts["invalid"] == len(bad)
    )
    with open(tmp_path / "rejects.csv", encoding="utf-8", newline="") as src:
        assert [int(r["row"]) for r in csv.DictReader(src)] == sorted(bad)
    store.close()


def test_show_counts_delivery_reports_once_some_came(tmp_path, aliyun_server):
    config = config_for(tmp_path / "smsgate.toml", aliyun_server)
    source = write_csv(tmp_path / "r.csv", 10)
    sent = runner.invoke(app, ["send", "--csv", str(source), "--template", "SMS_1", "--config", str(config)])
    campaign_id = sent.output.split("campaign ", 1)[1].split()[0]
    assert "delivered" not in sent.output  # no report yet: not shown
    store = SQLiteStore(tmp_path / "state.sqlite3")
    count = count_deliveries(store)
    for d in aliyun_server.delivered[:4] * 2:  # each report twice: a row counts once
        count(DeliveryReport("aliyun", d.biz_id, f"+86{d.phone}", DeliveryStatus.DELIVERED, "DELIVERED"))
    store.close()
    shown = runner.invoke(app, ["campaigns", "show", campaign_id, "--config", str(config)])
    assert "delivered 4" in shown.output and "undelivered" not in shown.output, shown.output
