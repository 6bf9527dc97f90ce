"""Local provider emulators: each answers as its provider does, verifying signatures and credentials.

One module per provider; :data:`EMULATORS` names the class of each. They serve the test suite (over
real HTTP on loopback) and ``smsgate emulate PROVIDER``, so that examples run with no cloud account::

    with serve(create("aliyun")) as emulator:  # on 127.0.0.1, a free port
        settings = emulator.settings()          # provider settings pointing at it
        ...                                     # send; emulator.summaries() is what it delivered
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from aiohttp import web

from .._errors import ConfigError
from .server import FakeServer, Received

__all__ = ["EMULATORS", "Emulator", "FakeServer", "Received", "create", "serve"]

EMULATORS: dict[str, str] = {
    "aliyun": "smsgate.emulators.aliyun:AliyunFake",
    "azure": "smsgate.emulators.azure:AzureEmulator",
    "bandwidth": "smsgate.emulators.bandwidth:BandwidthEmulator",
    "chuanglan": "smsgate.emulators.chuanglan:ChuanglanEmulator",
    "clickatell": "smsgate.emulators.clickatell:ClickatellEmulator",
    "huawei": "smsgate.emulators.huawei:HuaweiFake",
    "infobip": "smsgate.emulators.infobip:InfobipEmulator",
    "messagebird": "smsgate.emulators.messagebird:MessageBirdEmulator",
    "msg91": "smsgate.emulators.msg91:Msg91Emulator",
    "netease": "smsgate.emulators.netease:NeteaseEmulator",
    "plivo": "smsgate.emulators.plivo:PlivoEmulator",
    "ronglian": "smsgate.emulators.ronglian:RonglianEmulator",
    "sinch": "smsgate.emulators.sinch:SinchEmulator",
    "sns": "smsgate.emulators.sns:FakeSns",
    "submail": "smsgate.emulators.submail:SubmailEmulator",
    "telnyx": "smsgate.emulators.telnyx:TelnyxEmulator",
    "tencent": "smsgate.emulators.tencent:TencentFake",
    "twilio": "smsgate.emulators.twilio:FakeTwilio",
    "ucloud": "smsgate.emulators.ucloud:UCloudEmulator",
    "vonage": "smsgate.emulators.vonage:FakeVonage",
    "yunpian": "smsgate.emulators.yunpian:YunpianEmulator",
}
"""Provider name → ``module:Class`` of its emulator; a new emulator adds its line here."""


E = TypeVar("E", bound="Emulator")


class Emulator(Protocol):
    """What every emulator offers: an aiohttp handler, its server once started, and what it delivered."""

    server: FakeServer | None

    async def handle(self, received: Received) -> web.StreamResponse: ...

    def settings(self) -> dict[str, Any]:
        """Provider settings (credentials included) that this emulator accepts."""
        ...

    def summaries(self) -> list[dict[str, Any]]:
        """Every delivery so far (phone, template or text, params), without credentials."""
        ...


def create(name: str) -> Emulator:
    """A new emulator for provider ``name``, with its default credentials; not yet serving."""
    if name not in EMULATORS:
        known = sorted(EMULATORS)
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"no emulator for {name!r}{hint}; emulators: {', '.join(known)}")
    module, _, cls = EMULATORS[name].partition(":")
    emulator: Emulator = getattr(importlib.import_module(module), cls)()
    return emulator


@contextmanager
def serve(emulator: E, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[E]:
    """Run ``emulator`` on ``host:port`` (a free port by default) while in the block."""
    line_size: int = getattr(emulator, "max_line_size", 8190)
    with FakeServer(emulator.handle, max_line_size=line_size, host=host, port=port) as server:
        emulator.server = server
        yield emulator
