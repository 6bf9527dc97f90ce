"""The examples in docs/extensions.md run as written, in order (Aliyun pointed at the fake server)."""

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).parents[2] / "docs" / "extensions.md"
BLOCK = re.compile(r"<!-- run -->\n```python\n(?P<body>.*?)```", re.S)


def test_the_documented_examples_run(tmp_path, monkeypatch, aliyun_server):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    outputs = []
    for match in BLOCK.finditer(DOC.read_text(encoding="utf-8")):
        body = match["body"].replace("127.0.0.1:9101", aliyun_server.server.endpoint)  # the emulator's port
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(body, str(DOC), "exec"), namespace)
        outputs.append(out.getvalue().strip())
    assert outputs == [
        "True OK",
        "False ['com.smsgate.sms.aliyun'] 46010\n46010",
        "OK",
        "True",
        "**********",
    ]
    assert (tmp_path / "extensions.sqlite3").is_file()
    assert len(aliyun_server.delivered) == 3
