"""The README's examples run as written and print what they say (against the Aliyun emulator)."""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"<!-- (file: (?P<path>\S+)|run) -->\n```(?:json|python)\n(?P<body>.*?)```", re.S)


def test_readme_examples_run(tmp_path, monkeypatch, aliyun_server):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SMSGATE_EXTENSIONS_ALLOW", "127.0.0.1")  # the operator allows the fake server
    fake = {"127.0.0.1:9101": aliyun_server.server.endpoint}  # where `smsgate emulate aliyun --port 9101` is
    outputs = []
    for match in BLOCK.finditer(README.read_text(encoding="utf-8")):
        body = match["body"]
        for real, stand_in in fake.items():
            body = body.replace(real, stand_in)
        if match["path"]:
            target = tmp_path / match["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8")
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(body, str(README), "exec"), {"__name__": "readme"})
        outputs.append(out.getvalue())
    assert len(outputs) == 3
    assert "+8613800138000 accepted console" in outputs[0] and "+8613900139000 accepted console" in outputs[0]
    assert outputs[1].split() == ["OK", "46001"]
    assert outputs[2].split() == ["OK"]
    assert [d.phone for d in aliyun_server.delivered] == ["13800138000", "13900139000", "13800138000"]


def test_the_first_command_runs_in_a_fresh_venv(tmp_path):
    """The Quick start's first command, as written, in a copy of the project with no venv yet."""
    import os
    import shutil
    import subprocess

    root = README.parent
    [quick_start] = re.findall(r"## Quick start\n\n```sh\n(.*?)\n", README.read_text(encoding="utf-8"))
    project = tmp_path / "smsgate"
    shutil.copytree(root / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, project / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMSGATE_", "VIRTUAL_ENV", "PYTHON"))}
    done = subprocess.run(
        ["bash", "-c", quick_start], cwd=project, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "params:   code=123456" in done.stdout and "\taccepted\tconsole\t" in done.stdout
    assert (project / "smsgate.sqlite3").is_file()
