"""The examples in docs/elements.md run as written (Aliyun pointed at the fake server)."""

import contextlib
import io
import json
import re
from pathlib import Path

from smsgate.elements import App, SmsElement

DOC = Path(__file__).parents[2] / "docs" / "elements.md"
BLOCK = re.compile(r"<!-- (file: (?P<path>\S+)|run) -->\n```(?:json|python)\n(?P<body>.*?)```", re.S)


def test_the_documented_examples_run(tmp_path, monkeypatch, aliyun_server):
    monkeypatch.chdir(tmp_path)
    outputs = []
    for match in BLOCK.finditer(DOC.read_text(encoding="utf-8")):
        body = match["body"]
        if match["path"]:
            target = tmp_path / match["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            data = json.loads(body)
            if "accessKey" in data:  # the fake Aliyun's credentials and address
                data.update(accessKey="testAK", accessSecret="testSecret", endpoint=aliyun_server.server.endpoint)
            target.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            continue
        namespace: dict = {}
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(body, str(DOC), "exec"), namespace)
        for value in namespace.values():
            if isinstance(value, (App, SmsElement)):
                value.close()
        outputs.append(out.getvalue().strip())
    assert len(outputs) == 4
    code, biz_id = outputs[0].split()
    assert code == "OK" and biz_id == aliyun_server.delivered[0].biz_id
    assert outputs[1:] == ["sns", "公司签名", "46001 phoneList"]
