import json

from typer.testing import CliRunner

from smsgate.cli import app
from tests.elements.helpers import closed_port

runner = CliRunner()


def send(*args):
    result = runner.invoke(app, ["send", "--json", *args])
    return json.loads(result.stdout)["message_id"]


def test_log_shows_what_send_recorded():
    message_id = send("--to", "13800138000", "--to", "13900139000", "--template", "SMS_1")
    result = runner.invoke(app, ["log", "--phone", "13900139000", "--json"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["kind"] for r in records} == {"message", "attempt"}
    assert all(r["message_id"] == message_id and r["status"] == "accepted" for r in records)


def test_piped_output_is_never_cut_and_ids_are_whole():
    message_id = send("--to", "13800138000", "--template", "SMS_1")
    result = runner.invoke(app, ["log"])
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert lines[0] == ["when", "kind", "message id", "phones", "status", "provider", "error", "delivery"]
    assert {row[2] for row in lines[1:]} == {message_id} and {row[3] for row in lines[1:]} == {"+8613800138000"}
    found = runner.invoke(app, ["log", "--message-id", message_id, "--json"])
    assert len(found.stdout.splitlines()) == 2


def test_filters_by_status_and_since_and_shows_errors(tmp_path):
    nowhere = f"127.0.0.1:{closed_port()}"
    aliyun = f'access_key_id = "k"\naccess_key_secret = "s"\nendpoint = "{nowhere}"\n'
    config = f"[retry]\nmax_attempts = 1\n[providers.aliyun]\n{aliyun}"
    (tmp_path / "smsgate.toml").write_text(config)
    send("--to", "13800138000", "--template", "SMS_1", "--sign-name", "Acme")
    failed = runner.invoke(app, ["log", "--status", "failed", "--since", "1h"])
    rows = [line.split("\t") for line in failed.stdout.splitlines()[1:]]
    assert sorted(row[1] for row in rows) == ["attempt", "message"] and all(row[4] == "failed" for row in rows)
    [attempt] = [row for row in rows if row[1] == "attempt"]
    assert attempt[6].startswith("46003 ")
    assert runner.invoke(app, ["log", "--since", "2999-01-01", "--json"]).stdout == ""
    bad = runner.invoke(app, ["log", "--since", "yesterday"])
    assert bad.exit_code == 2 and "--since 'yesterday'" in bad.stderr


def test_reading_the_log_needs_no_secrets(tmp_path):
    (tmp_path / "smsgate.toml").write_text("[providers.aliyun]\naccess_key_secret = '${UNSET_SECRET}'\n")
    (tmp_path / "smsgate.sqlite3").touch()
    assert runner.invoke(app, ["log"]).exit_code == 0


def test_an_absent_log_is_an_error_and_is_not_created(tmp_path):
    result = runner.invoke(app, ["log"])
    assert result.exit_code == 2 and "no send log at smsgate.sqlite3" in result.stderr
    assert not (tmp_path / "smsgate.sqlite3").exists()


def test_log_without_a_send_log(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("send_log = false\n[providers.memory]\n")
    result = runner.invoke(app, ["log", "--config", str(config)])
    assert result.exit_code == 2 and "no send_log is configured" in result.stderr


def test_log_shows_each_phones_delivery_once_reports_arrive():
    from smsgate import DeliveryReport, DeliveryStatus, SQLiteStore

    message_id = send("--to", "13800138000", "--to", "13900139000", "--template", "SMS_1")
    store = SQLiteStore("smsgate.sqlite3")
    (attempt,) = [r for r in store.log_query(message_id=message_id) if r.kind == "attempt"]
    provider_id = attempt.message_ids["+8613900139000"]
    report = DeliveryReport(attempt.provider or "", provider_id, "+8613900139000", DeliveryStatus.DELIVERED, "DELIVRD")
    assert store.record_report(report)
    store.close()
    lines = [line.split("\t") for line in runner.invoke(app, ["log", "--message-id", message_id]).stdout.splitlines()]
    (message,) = [row for row in lines if row[1] == "message"]
    assert message[7] == "-, delivered"


def test_newest_first_with_a_hint_for_the_next_page():
    ids = [send("--to", "13800138000", "--template", "SMS_1") for _ in range(3)]
    first = runner.invoke(app, ["log", "--limit", "2", "--json"])
    shown = [json.loads(line) for line in first.stdout.splitlines()]
    assert [r["message_id"] for r in shown] == [ids[2], ids[2]]  # the newest message and its request
    hint = first.stderr.strip()
    assert hint.startswith("more: smsgate log --until ")
    until = hint.split()[4]
    page = runner.invoke(app, ["log", "--until", until, "--limit", "10", "--json"])
    older = [json.loads(line)["message_id"] for line in page.stdout.splitlines()]
    assert older[-2:] == [ids[0], ids[0]] and ids[1] in older
    oldest = runner.invoke(app, ["log", "--oldest-first", "--limit", "1", "--json"])
    assert json.loads(oldest.stdout)["message_id"] == ids[0] and oldest.stderr == ""
