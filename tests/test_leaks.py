"""Zero secret and code leaks: planted secrets and a one-time code go through every provider's
success and failure paths, with DEBUG logging on every logger, and are found nowhere they should
not be: logs, the send log file, errors (``str``, ``repr``, ``to_dict``), formatted tracebacks
with their cause chains and frame locals, CLI output, the extension store file."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from smsgate import Message, RetryPolicy, SendResult, SmsError

from .elements.helpers import closed_port
from .fakes.aliyun import AliyunFake
from .fakes.gateways import DRIVERS, driver
from .fakes.huawei import HuaweiFake
from .fakes.server import FakeServer
from .fakes.sns import FakeSns
from .fakes.tencent import TencentFake
from .fakes.twilio import FakeTwilio
from .fakes.vonage import FakeVonage

CODE = "58613947"  # the one-time code: in params, never in errors, logs or tracebacks
PHONE = "13812345678"  # full phone: never in logs or in tracebacks' frame locals
TOKEN = "STStoken-Pl4nted-v9Qw"
WRONG = "Wrong-Pl4nted-Secret-x8Rt"  # what the provider is told when the fake knows another secret


def planted(name: str) -> str:
    return f"{name}-Pl4nted-Secret-k3Zm"


@dataclass
class Case:
    """A fake provider holding the planted secrets, and how to configure a provider against it."""

    name: str
    fake: Any
    settings: Callable[[], dict[str, Any]]
    secrets: tuple[str, ...]
    max_line_size: int = 8190


def _aliyun(version: str) -> Case:
    fake = AliyunFake(credentials={"LTAIplanted": planted("aliyun")}, tokens={"LTAIplanted": TOKEN})
    return Case(
        "aliyun",
        fake,
        lambda: fake.settings(security_token=TOKEN, signature_version=version),
        (planted("aliyun"), TOKEN),
        32768,
    )


def _tencent() -> Case:
    fake = TencentFake(credentials={"AKIDplanted": planted("tencent")})
    return Case("tencent", fake, lambda: fake.settings(timeout=2, connect_timeout=2), (planted("tencent"),))


def _huawei() -> Case:
    fake = HuaweiFake(credentials={"planted-app-key": planted("huawei")})
    return Case("huawei", fake, lambda: fake.settings(timeout=2, connect_timeout=2), (planted("huawei"),))


def _twilio() -> Case:
    fake = FakeTwilio(auth_token=planted("twilio"))
    return Case("twilio", fake, fake.settings, (planted("twilio"),))


def _vonage() -> Case:
    fake = FakeVonage(api_secret=planted("vonage"))
    return Case("vonage", fake, fake.settings, (planted("vonage"),))


def _sns() -> Case:
    fake = FakeSns(keys={"AKIDPLANTED": planted("sns")}, tokens={"AKIDPLANTED": TOKEN})
    settings = {"access_key_id": "AKIDPLANTED", "secret_access_key": planted("sns"), "session_token": TOKEN}
    return Case("sns", fake, lambda: fake.settings(**settings), (planted("sns"), TOKEN))


CASES: dict[str, Callable[[], Case]] = {
    "aliyun-v3": lambda: _aliyun("v3"),
    "aliyun-v2": lambda: _aliyun("v2"),
    "tencent": _tencent,
    "huawei": _huawei,
    "twilio": _twilio,
    "vonage": _vonage,
    "sns": _sns,
}
SCENARIOS = ["accepted", "wrong-secret", "server-error", "reset-after", "unreachable"]


@contextlib.contextmanager
def running(case: Case) -> Iterator[FakeServer]:
    with FakeServer(case.fake.handle, max_line_size=case.max_line_size) as server:
        case.fake.server = server
        yield server


def message() -> Message:
    return Message(
        to=[PHONE],
        template="SMS_154950909",
        text="Your code is ${code}",
        params={"code": CODE},
        sign_name="Acme",
        templates={"tencent": "1110", "huawei": "8ff55eac1d0b478ab3c06c3c6a492300"},
    )


class Exposure:
    """Everything a user or an operator could see, as text."""

    def __init__(self) -> None:
        self.parts: dict[str, str] = {}

    def add(self, where: str, text: str) -> None:
        self.parts[where] = self.parts.get(where, "") + text

    def add_result(self, result: SendResult) -> None:
        self.add("result.to_dict", json.dumps(result.to_dict(), default=str))
        self.add("result.repr", repr(result))
        for error in result.errors:
            self.add("error.str", str(error))
            self.add("error.repr", repr(error))
            self.add("error.to_dict", json.dumps(error.to_dict(), default=str))
        try:
            result.raise_for_status()
        except SmsError as exc:
            shown = traceback.TracebackException.from_exception(exc, capture_locals=True)
            self.add("traceback", "".join(shown.format()))

    def add_logs(self, records: list[logging.LogRecord]) -> None:
        formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
        for record in records:
            self.add("logs", formatter.format(record) + repr(record.__dict__) + "\n")

    def add_file(self, where: str, path: Path) -> None:
        for part in sorted(path.parent.glob(path.name + "*")):
            self.add(where, part.read_bytes().decode("utf-8", "replace"))

    def find(self, needle: str, *, places: tuple[str, ...] | None = None) -> list[str]:
        """Where ``needle`` shows, with some text around it."""
        found = []
        for where, text in self.parts.items():
            at = text.find(needle)
            if at >= 0 and (places is None or where in places):
                found.append(f"{where}: …{text[max(0, at - 300) : at + 100]}…")
        return found


@pytest.fixture
def every_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """DEBUG on every logger: smsgate's and the HTTP libraries' it drives."""
    names = ["", "smsgate", "urllib3", "aiohttp", "pyreqwest", "reqwest", "hyper", "hyper_util", "asyncio"]
    names += list(logging.root.manager.loggerDict)
    for name in names:
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog


def send(case: Case, scenario: str, server: FakeServer, kind: str, tmp_path: Path) -> SendResult:
    settings = case.settings()
    if scenario == "wrong-secret":
        for key, value in settings.items():
            if value in case.secrets and value != TOKEN:
                settings[key] = WRONG
    elif scenario == "server-error":
        server.fail_next(status=503, text=f"upstream failed for {PHONE}")
    elif scenario == "reset-after":
        server.fail_next(reset=True, after=True)
    elif scenario == "unreachable":
        settings["endpoint"] = f"127.0.0.1:{closed_port()}"
    options = {"send_log": str(tmp_path / "log.sqlite3"), "retry": RetryPolicy(max_attempts=2, base_delay=0)}
    return asyncio.run(driver(kind).send({case.name: settings}, message(), **options))


@pytest.mark.parametrize("kind", DRIVERS)
@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("provider", list(CASES))
def test_no_secret_or_code_is_shown_anywhere(provider, scenario, kind, tmp_path, every_log):
    case = CASES[provider]()
    with running(case) as server:
        result = send(case, scenario, server, kind, tmp_path)
    assert result.ok == (scenario == "accepted"), result.to_dict()
    seen = Exposure()
    seen.add_result(result)
    seen.add_logs(every_log.records)
    seen.add_file("send log", tmp_path / "log.sqlite3")
    for secret in (*case.secrets, WRONG, CODE):
        assert seen.find(secret) == [], secret
    assert seen.find(PHONE, places=("logs", "traceback")) == []
