import json
import queue
import re
import socket
import subprocess
import sys
import threading

import pytest

from smsgate import Gateway, Message
from smsgate.cli import app

COMMAND = [sys.executable, "-c", "from smsgate.cli import main; main()", "emulate"]


@pytest.fixture
def emulate():
    """Start ``smsgate emulate ARGS`` and read its stdout lines, each within a deadline."""
    started = []

    def run(*args):
        proc = subprocess.Popen([*COMMAND, *args], stdout=subprocess.PIPE, text=True, encoding="utf-8")
        lines = queue.Queue()
        reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True)
        reader.start()
        started.append((proc, reader))
        return proc, lambda: lines.get(timeout=30).rstrip("\n")

    yield run
    for proc, reader in started:
        proc.terminate()
        proc.wait(10)
        reader.join(10)
        proc.stdout.close()


def test_emulate_prints_the_settings_and_every_delivery(emulate):
    _, line = emulate("twilio", "--port", "0")
    url = re.search(r"on (http://127\.0\.0\.1:\d+) ", line())[1]
    toml = [line() for _ in range(5)]  # the header and four settings
    assert toml[0] == "[providers.twilio]" and f'endpoint = "{url}"' in toml
    settings = dict(entry.split(" = ") for entry in toml[1:])
    settings = {key: json.loads(value) for key, value in settings.items()}
    with Gateway({"twilio": settings}) as gateway:
        result = gateway.send(Message(to=["+14155552671", "+14155552672"], text="code ${c}", params={"c": "77"}))
    assert result.ok
    received = [json.loads(line()), json.loads(line())]
    assert sorted(r["phone"] for r in received) == ["+14155552671", "+14155552672"]
    assert {r["text"] for r in received} == {"code 77"}
    assert not any(settings["auth_token"] in json.dumps(r) for r in received)


def test_emulate_an_unknown_provider_is_one_line(runner):
    result = runner.invoke(app, ["emulate", "aliyn"])
    assert result.exit_code == 2
    assert "no emulator for 'aliyn' (did you mean 'aliyun'?)" in result.output and "Traceback" not in result.output


def test_emulate_on_a_busy_port_is_one_line(runner):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["emulate", "aliyun", "--port", str(port)])
    assert result.exit_code == 2 and f"cannot listen on 127.0.0.1:{port}" in result.output


def test_emulate_pushes_a_receipt_for_every_delivery(emulate):
    from smsgate import MemoryStore
    from smsgate.receipts import Receipts
    from tests.fakes.receipts import serve_receipts

    seen = []
    receipts = Receipts({"twilio": {"auth_token": "twilio-auth-token-not-a-real-one"}}, on_delivery=[seen.append])
    with serve_receipts(receipts) as endpoint:
        _, line = emulate("twilio", "--push-receipts", endpoint.url("twilio"))
        line()
        settings = {k: json.loads(v) for k, v in (entry.split(" = ") for entry in [line() for _ in range(5)][1:])}
        with Gateway({"twilio": settings}, send_log=MemoryStore()) as gateway:
            assert gateway.send(Message(to="+14155552671", text="hi")).ok
        assert json.loads(line())["phone"] == "+14155552671"
        assert json.loads(line()) == {"receipt_pushed": endpoint.url("twilio"), "answer": 200}
    assert [(r.phone, r.status.value) for r in seen] == [("+14155552671", "delivered")]
