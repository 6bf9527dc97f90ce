"""Zero secret and code leaks: planted secrets and a one-time code go through every provider's
success and failure paths, with DEBUG logging on every logger, and are found nowhere they should
not be: logs, the send log file, errors (``str``, ``repr``, ``to_dict``), formatted tracebacks
with their cause chains and frame locals, CLI output, the extension store file."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from smsgate import Message, RetryPolicy, SendResult, SmsError, provider_class
from smsgate.emulators import EMULATORS, FakeServer, create, serve
from smsgate.emulators.aliyun import AliyunFake
from smsgate.emulators.sns import FakeSns

from .elements.helpers import closed_port
from .fakes.gateways import DRIVERS, driver

CODE = "58613947"  # the one-time code: in params, never in errors, logs or tracebacks
PHONE = "13812345678"  # full phone: never in logs or in tracebacks' frame locals
TOKEN = "STStoken-Pl4nted-v9Qw"
WRONG = "WrongPl4ntedSecretx8Rt00"  # what the provider is told when the fake knows another (valid base64, for Azure)


def planted(name: str) -> str:
    return f"{name}-Pl4nted-Secret-k3Zm"


@dataclass
class Case:
    """A fake provider holding the planted secrets, and how to configure a provider against it."""

    name: str
    fake: Any
    settings: Callable[[], dict[str, Any]]
    secrets: tuple[str, ...]


def _aliyun(version: str) -> Case:
    fake = AliyunFake(credentials={"LTAIplanted": planted("aliyun")}, tokens={"LTAIplanted": TOKEN})
    return Case(
        "aliyun",
        fake,
        lambda: fake.settings(security_token=TOKEN, signature_version=version),
        (planted("aliyun"), TOKEN),
    )


def _planted_emulator(name: str) -> Case:
    """Any other provider's emulator, its own distinctive credentials planted (found at start)."""
    fake = create(name)
    return Case(name, fake, lambda: {**fake.settings(), "timeout": 2, "connect_timeout": 2}, ())


def _secret_values(name: str, settings: dict[str, Any]) -> tuple[str, ...]:
    fields = provider_class(name).settings_model.model_fields
    secret = {n for key, f in fields.items() if "SecretStr" in str(f.annotation) for n in (key, f.alias) if n}
    return tuple(str(v) for k, v in settings.items() if k in secret and v)


def _sns() -> Case:
    fake = FakeSns(keys={"AKIDPLANTED": planted("sns")}, tokens={"AKIDPLANTED": TOKEN})
    settings = {"access_key_id": "AKIDPLANTED", "secret_access_key": planted("sns"), "session_token": TOKEN}
    return Case("sns", fake, lambda: fake.settings(**settings), (planted("sns"), TOKEN))


SPECIAL: dict[str, Callable[[], Case]] = {
    "aliyun-v3": lambda: _aliyun("v3"),
    "aliyun-v2": lambda: _aliyun("v2"),  # SignatureDoesNotMatch echoes the string it signed, STS token and all
    "sns": _sns,
}
CASES: dict[str, Callable[[], Case]] = {
    **SPECIAL,
    **{name: functools.partial(_planted_emulator, name) for name in EMULATORS if name not in ("aliyun", "sns")},
}
SCENARIOS = ["accepted", "wrong-secret", "server-error", "reset-after", "unreachable"]


@contextlib.contextmanager
def running(case: Case) -> Iterator[FakeServer]:
    with serve(case.fake) as fake:
        case.secrets = case.secrets or _secret_values(case.name, case.settings())
        assert case.secrets, case.name
        yield fake.server


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
            with contextlib.suppress(FileNotFoundError):  # SQLite removes its -shm/-wal files on the last close
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


@pytest.mark.parametrize("scenario", ["accepted", "wrong-secret", "reset-after", "unreachable"])
def test_no_secret_or_code_in_cli_output(scenario, tmp_path, monkeypatch, every_log):
    from typer.testing import CliRunner

    from smsgate.cli import app

    monkeypatch.chdir(tmp_path)
    case = _aliyun("v2")
    with running(case) as server:
        settings = case.settings()
        if scenario == "wrong-secret":
            settings["access_key_secret"] = WRONG
        elif scenario == "reset-after":
            server.fail_next(reset=True, after=True, times=2)
        elif scenario == "unreachable":
            settings["endpoint"] = f"127.0.0.1:{closed_port()}"
        table = "".join(f"{key} = {json.dumps(value)}\n" for key, value in settings.items())
        config = tmp_path / "smsgate.toml"
        config.write_text(f'send_log = "log.sqlite3"\n[providers.aliyun]\n{table}', encoding="utf-8")
        send = ["send", "--config", str(config), "--to", PHONE, "--template", "SMS_1", "--param", f"code={CODE}"]
        runs = [CliRunner().invoke(app, send + extra) for extra in ([], ["--json"])]
        runs += [CliRunner().invoke(app, ["log", "--config", str(config), *extra]) for extra in ([], ["--json"])]
    assert [r.exit_code for r in runs] == [0 if scenario == "accepted" else 1] * 2 + [0, 0]
    seen = Exposure()
    for number, run in enumerate(runs):
        seen.add(f"cli run {number}", run.output + repr(run.exception))
    seen.add_logs(every_log.records)
    seen.add_file("send log", tmp_path / "log.sqlite3")
    for secret in (*case.secrets, WRONG, CODE):
        assert seen.find(secret) == [], secret


@pytest.mark.parametrize("scenario", ["accepted", "wrong-secret", "reset-after"])
def test_no_secret_or_code_in_the_extension_store_file_or_outcomes(scenario, tmp_path, monkeypatch, every_log):
    from smsgate.extensions import SEND_SMS, AliyunSmsExtension, EndpointPolicy, Event, Platform

    monkeypatch.delenv("SMSGATE_EXTENSIONS_KEY", raising=False)
    monkeypatch.delenv("SMSGATE_EXTENSIONS_KEY_FILE", raising=False)
    case = _aliyun("v3")
    case.fake.tokens.clear()  # the extension's settings take no STS token
    store = tmp_path / "extensions.sqlite3"
    platform = Platform(store, endpoints=EndpointPolicy(allow=["127.0.0.1"]), retry=RetryPolicy(max_attempts=1))
    package = platform.register(AliyunSmsExtension()).package
    with running(case) as server:
        secret = WRONG if scenario == "wrong-secret" else planted("aliyun")
        settings = {"access_key_id": "LTAIplanted", "access_key_secret": secret, "endpoint": server.url}
        platform.save_settings("tenant", package, settings)
        config_id = platform.add_config("tenant", package, {"sign_name": "Acme", "template_code": "SMS_1"})
        if scenario == "reset-after":
            server.fail_next(reset=True, after=True)
        data = {"config_id": config_id, "mobile": PHONE, "code": CODE}
        outcome = platform.dispatch(Event(SEND_SMS, "tenant", package, data))[package]
    listings = repr(platform.list_settings("tenant")) + repr(platform.list_configs("tenant"))
    platform.close()
    assert outcome.ok == (scenario == "accepted")
    seen = Exposure()
    seen.add("outcome", repr(outcome) + repr(outcome.result))
    if outcome.error is not None:
        seen.add("error", f"{outcome.error}{outcome.error!r}{json.dumps(outcome.error.to_dict())}")
        shown = traceback.TracebackException.from_exception(outcome.error, capture_locals=True)
        seen.add("traceback", "".join(shown.format()))
    seen.add("listings", listings)
    seen.add_logs(every_log.records)
    seen.add_file("extension store", store)
    for needle in (planted("aliyun"), WRONG, CODE):
        assert seen.find(needle) == [], needle
    assert seen.find(PHONE, places=("logs", "traceback")) == []


def test_an_extension_that_crashes_shows_no_code_or_phone(every_log):
    from smsgate.extensions import SEND_SMS, Event, Platform, SmsExtension

    class Broken(SmsExtension):
        package = "com.example.broken"

        def send_sms(self, event, **kwargs):
            code, mobile = event.data["code"], event.data["mobile"]
            raise ValueError(f"could not send {code} to {mobile}")

    platform = Platform()
    platform.register(Broken())
    data = {"config_id": "c1", "mobile": PHONE, "code": CODE}
    outcome = platform.dispatch(Event(SEND_SMS, "tenant", "com.example.broken", data))["com.example.broken"]
    platform.close()
    seen = Exposure()
    seen.add("error", f"{outcome.error}{outcome.error!r}{json.dumps(outcome.error.to_dict())}")
    shown = traceback.TracebackException.from_exception(outcome.error, capture_locals=True)
    seen.add("traceback", "".join(shown.format()))
    seen.add_logs(every_log.records)
    assert "ValueError: could not send *** to ***" in seen.parts["traceback"]
    assert seen.find(CODE) == [] and seen.find(PHONE) == []


def test_every_provider_with_an_emulator_is_in_the_leak_matrix():
    covered = {name.partition("-")[0] for name in CASES}
    assert covered == set(EMULATORS)
