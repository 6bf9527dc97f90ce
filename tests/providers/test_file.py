import json
import threading

import pytest

from smsgate import ConfigError, Gateway, Message
from smsgate.providers.file import FileProvider


def test_file_appends_one_json_line_per_recipient(tmp_path):
    path = tmp_path / "outbox.jsonl"
    with Gateway({"file": {"path": str(path)}}) as gateway:
        result = gateway.send(
            Message(to=["13800138000", "13900139000"], template="SMS_1", params={"code": "1"}, out_id="o-1")
        )
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["to"] for line in lines] == ["+8613800138000", "+8613900139000"]
    assert lines[0]["template"] == "SMS_1" and lines[0]["params"] == {"code": "1"} and lines[0]["out_id"] == "o-1"
    assert [line["message_id"] for line in lines] == [r.message_id for r in result.recipients]


def test_file_is_safe_across_threads(tmp_path):
    provider = FileProvider(path=str(tmp_path / "o.jsonl"))
    gateway = Gateway([provider])
    threads = [
        threading.Thread(target=gateway.send, args=(Message(to="13800138000", text=f"n{i}"),)) for i in range(20)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(e.text for e in provider.read()) == sorted(f"n{i}" for i in range(20))


def test_missing_directory_is_a_config_error_naming_the_field(tmp_path):
    with pytest.raises(ConfigError, match=r"provider 'file': path: .*does not exist"):
        Gateway({"file": {"path": str(tmp_path / "nope" / "o.jsonl")}})
