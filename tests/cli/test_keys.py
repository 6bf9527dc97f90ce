"""``smsgate keys create|list|revoke``: a key printed once, only its hash kept."""

import json
import sqlite3

from smsgate.cli import app


def test_create_prints_the_key_once_and_keeps_only_its_hash(runner, tmp_path):
    made = runner.invoke(app, ["keys", "create", "--tenant", "acme", "--scope", "send,read", "--json"])
    assert made.exit_code == 0, made.output
    key = json.loads(made.stdout)
    assert key["tenant"] == "acme" and key["scopes"] == ["send", "read"]
    secret = key["key"].rsplit("_", 1)[1]
    stored = sqlite3.connect(tmp_path / "smsgate.sqlite3").execute("SELECT value FROM kv").fetchall()
    assert stored and not any(secret in value or key["key"] in value for (value,) in stored)

    listed = runner.invoke(app, ["keys", "list", "--json"])
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["prefix"], r["tenant"], r["revoked_at"]) for r in rows] == [(f"sgk_{key['id']}", "acme", None)]
    assert secret not in listed.output


def test_revoke_by_prefix_marks_the_key(runner):
    key = json.loads(runner.invoke(app, ["keys", "create", "--tenant", "acme", "--json"]).stdout)
    revoked = runner.invoke(app, ["keys", "revoke", f"sgk_{key['id']}"])
    assert revoked.exit_code == 0, revoked.output
    rows = [json.loads(line) for line in runner.invoke(app, ["keys", "list", "--json"]).stdout.splitlines()]
    assert rows[0]["revoked_at"] is not None


def test_bad_input_is_one_line_and_exit_2(runner):
    for args in (
        ["create", "--tenant", "no spaces"],
        ["create", "--tenant", "a", "--scope", "root"],
        ["revoke", "sgk_000000000000"],
        ["revoke", "[/x]"],
    ):
        result = runner.invoke(app, ["keys", *args])
        assert result.exit_code == 2, (args, result.output)
        assert result.output.count("\n") <= 2 and "Traceback" not in result.output
        assert "error 46001" in result.output
