"""``smsgate emulate PROVIDER``: run a local provider emulator and print what it receives."""

from __future__ import annotations

import json
import threading
from typing import Annotated, Any

import typer

from .._errors import SmsError
from ..emulators import EMULATORS, Emulator, Received, create, serve
from ._output import fail

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command()(emulate)


def emulate(
    provider: Annotated[str, typer.Argument(help=f"one of: {', '.join(sorted(EMULATORS))}")],
    port: Annotated[int, typer.Option(help="port to listen on (0: a free one)", min=0, max=65535)] = 0,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
) -> None:
    """Run PROVIDER's emulator until interrupted, printing its settings and every delivery (one JSON line each)."""
    try:
        emulator = create(provider)
    except SmsError as exc:
        raise fail(exc) from None
    try:
        with serve(emulator, host=host, port=port) as running:
            assert running.server is not None
            print(f"{provider} emulator on {running.server.url} (Ctrl-C stops it); settings it accepts:")
            print(_toml(provider, running.settings()), flush=True)
            running.server.on_request = _printer(running)
            threading.Event().wait()
    except OSError as exc:
        raise fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        return


def _printer(emulator: Emulator) -> Any:
    shown = 0

    def show(_: Received) -> None:
        nonlocal shown
        deliveries = emulator.summaries()
        for delivery in deliveries[shown:]:
            print(json.dumps(delivery, ensure_ascii=False), flush=True)
        shown = len(deliveries)

    return show


def _toml(provider: str, settings: dict[str, Any]) -> str:
    lines = [f"[providers.{provider}]"]
    lines += [f"{key} = {json.dumps(str(value), ensure_ascii=False)}" for key, value in settings.items()]
    return "\n".join(lines)
