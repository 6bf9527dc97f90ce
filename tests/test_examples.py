"""Every code block of the README and docs/ runs as written, against the provider emulators.

Blocks run in order, one namespace per page, in a fresh folder. ``<!-- file: PATH -->`` before a
block writes it to PATH instead. Python runs; TOML holding ``[providers.…]`` loads as a config;
``smsgate …`` lines of shell blocks run through the CLI (except ``emulate``, ``serve`` and
``worker``, which serve until stopped). A transcript that cannot run as written (output between
commands, ids from an earlier run) is marked ``<!-- not run: why -->``; no Python block may be.

Examples reach the emulators the way a reader's would: through the documented ``127.0.0.1:91xx``
address of ``smsgate emulate PROVIDER --port 91xx`` (the live emulator's free port replaces it, and
nothing else does), or through the environment variables the provider pages read, set here to the
emulators' test credentials. Any other host is refused and fails the page.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import socket
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smsgate import App, load_config
from smsgate.cli import app as cli
from smsgate.emulators import EMULATORS, create, serve

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(
    r"(?:<!-- (?:file: (?P<path>\S+)|not run: (?P<why>[^>]+)) -->\n)?```(?P<lang>\w*)\n(?P<body>.*?)```", re.S
)
PORTS = {"aliyun": 9101, "tencent": 9102, "huawei": 9103, "twilio": 9104, "sns": 9105, "vonage": 9106, "plivo": 9107}
"""The port docs/emulators.md tells readers to run each emulator on."""

ENVIRONMENT = {  # variable → (provider, its setting); endpoints are the emulators' URLs
    "ALIYUN_ACCESS_KEY_ID": ("aliyun", "access_key_id"),
    "ALIYUN_ACCESS_KEY_SECRET": ("aliyun", "access_key_secret"),
    "ALIYUN_SECRET": ("aliyun", "access_key_secret"),
    "ALIYUN_SMS_ENDPOINT": ("aliyun", "endpoint"),
    "TENCENTCLOUD_SECRET_ID": ("tencent", "secret_id"),
    "TENCENTCLOUD_SECRET_KEY": ("tencent", "secret_key"),
    "TENCENT_SECRET": ("tencent", "secret_key"),
    "TENCENT_SMS_ENDPOINT": ("tencent", "endpoint"),
    "HUAWEI_SMS_APP_KEY": ("huawei", "app_key"),
    "HUAWEI_SMS_APP_SECRET": ("huawei", "app_secret"),
    "HUAWEI_SMS_ENDPOINT": ("huawei", "endpoint"),
    "TWILIO_ACCOUNT_SID": ("twilio", "account_sid"),
    "TWILIO_AUTH_TOKEN": ("twilio", "auth_token"),
    "TWILIO_ENDPOINT": ("twilio", "endpoint"),
    "AWS_ACCESS_KEY_ID": ("sns", "access_key_id"),
    "AWS_SECRET_ACCESS_KEY": ("sns", "secret_access_key"),
    "AWS_REGION": ("sns", "region"),
    "SNS_ENDPOINT": ("sns", "endpoint"),
    "VONAGE_API_KEY": ("vonage", "api_key"),
    "VONAGE_API_SECRET": ("vonage", "api_secret"),
    "VONAGE_ENDPOINT": ("vonage", "endpoint"),
    "PLIVO_AUTH_ID": ("plivo", "auth_id"),
    "PLIVO_AUTH_TOKEN": ("plivo", "auth_token"),
    "PLIVO_ENDPOINT": ("plivo", "endpoint"),
}


@pytest.fixture(scope="module")
def emulators() -> Iterator[dict[str, object]]:
    with contextlib.ExitStack() as stack:
        yield {name: stack.enter_context(serve(create(name))) for name in sorted(EMULATORS)}


def page_environment(page: str) -> dict[str, tuple[str, str]]:
    """A provider page's own variables: ``"setting": os.environ["VAR"]`` (or ``.get("VAR")``)
    reads the setting of the provider the page is named after."""
    provider = Path(page).stem
    if not page.startswith("docs/providers/") or provider not in EMULATORS:
        return {}
    text = (ROOT / page).read_text(encoding="utf-8")
    found = re.findall(r'"(\w+)":\s*os\.environ(?:\.get\(|\[)"(\w+)"', text)
    return {variable: (provider, setting) for setting, variable in found}


def blocks(page: str) -> list[tuple[str | None, str, str]]:
    """``(path, language, body)`` of each block of ``page`` that runs (not marked ``not run: why``)."""
    found = BLOCK.finditer((ROOT / page).read_text(encoding="utf-8"))
    return [(m["path"], m["lang"], m["body"]) for m in found if not m["why"]]


def test_blocks_not_run_say_why_and_are_not_code():
    for page in PAGES:
        for match in BLOCK.finditer((ROOT / page).read_text(encoding="utf-8")):
            if match["why"]:
                assert match["why"].strip() and match["lang"] in ("console", "text", "sh"), (page, match["why"])


def test_every_page_is_covered():
    assert {"README.md", "docs/elements.md", "docs/extensions.md", "docs/providers/aliyun.md"} <= set(PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_the_code_blocks_run_as_written(page, emulators, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("SMSGATE_CONFIG", "SMSGATE_SEND_LOG", "SMSGATE_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    for variable, (provider, setting) in {**ENVIRONMENT, **page_environment(page)}.items():
        monkeypatch.setenv(variable, str(emulators[provider].settings()[setting]))
    live = {f"127.0.0.1:{PORTS[name]}": emulators[name].server.endpoint for name in PORTS}
    monkeypatch.setenv("SMSGATE_TRANSPORT", "urllib3")  # Python's resolver, so the guard below sees every host
    elsewhere: list[str] = []
    resolve = socket.getaddrinfo

    def loopback_only(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost", "::1"):
            elsewhere.append(str(host))
            raise socket.gaierror(f"{host}: examples reach the emulators on 127.0.0.1 only")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)
    module = types.ModuleType("docs_example")  # a real module, so classes defined in examples resolve
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace = module.__dict__
    for number, (path, lang, body) in enumerate(blocks(page), 1):
        for documented, actual in live.items():
            body = body.replace(documented, actual)
        where = f"{page} block {number}"
        if path:
            (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / path).write_text(body, encoding="utf-8")
        elif lang == "python":
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(body, where, "exec"), namespace)
        elif lang == "toml" and "[providers." in body:
            (tmp_path / "example.toml").write_text(body, encoding="utf-8")
            load_config(tmp_path / "example.toml")
        elif lang in ("sh", "console", "bash"):
            for command in commands(body):
                result = CliRunner().invoke(cli, command)
                assert result.exit_code == 0, f"{where}: smsgate {shlex.join(command)}: {result.output}"
    for value in namespace.values():
        if isinstance(value, App):
            value.close()
    assert not elsewhere, f"{page}: examples tried to reach {sorted(set(elsewhere))}"


def commands(body: str) -> list[list[str]]:
    """The ``smsgate`` commands of a shell block (``$ `` prompts and ``\\`` continuations allowed)."""
    found = []
    for line in body.replace("\\\n", " ").splitlines():
        words = shlex.split(line.removeprefix("$ "), comments=True)
        if words[:1] == ["smsgate"] and words[1:2] not in (["emulate"], ["serve"], ["worker"]):
            found.append(words[1:])
    return found


def test_python_blocks_are_python():
    for page in PAGES:
        for path, lang, body in blocks(page):
            if lang == "python" and not path:
                compile(body, page, "exec")
    assert sys.version_info >= (3, 10)
