"""``smsgate emulate PROVIDER``: run a local provider emulator and print what it receives."""

from __future__ import annotations

import json
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from typing import Annotated, Any

import typer

from .._errors import SmsError
from ..emulators import EMULATORS, Emulator, FakeServer, Received, create, serve
from ._output import fail

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command()(emulate)


def emulate(
    provider: Annotated[str, typer.Argument(help=f"one of: {', '.join(sorted(EMULATORS))}")],
    port: Annotated[int, typer.Option(help="port to listen on (0: a free one)", min=0, max=65535)] = 0,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    push_receipts: Annotated[
        str | None, typer.Option(help="URL to push a delivery receipt to for every delivery, as the provider does")
    ] = None,
) -> None:
    """Run PROVIDER's emulator until interrupted, printing its settings and every delivery (one JSON line each)."""
    try:
        emulator = create(provider)
    except SmsError as exc:
        raise fail(exc) from None
    try:
        with serve(emulator, host=host, port=port) as running:
            assert running.server is not None
            with ExitStack() as stack:
                pusher = _pusher(running, push_receipts, stack) if push_receipts else None
                running.server.on_request = _printer(running, pusher)  # ready before the settings are shown
                print(f"{provider} emulator on {running.server.url} (Ctrl-C stops it); settings it accepts:")
                print(_toml(provider, running.settings()), flush=True)
                threading.Event().wait()
    except OSError as exc:
        raise fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        return


def _printer(emulator: Emulator, pusher: Any = None) -> Any:
    shown = 0

    def show(_: Received) -> None:
        nonlocal shown
        deliveries = emulator.summaries()
        for delivery in deliveries[shown:]:
            print(json.dumps(delivery, ensure_ascii=False), flush=True)
        shown = len(deliveries)
        if pusher is not None:
            pusher()

    return show


def _pusher(emulator: Emulator, url: str, stack: ExitStack) -> Any:
    """Push receipts for new deliveries from a worker thread (the emulator's loop keeps serving)."""
    from ..emulators.receipts import ReceiptPusher, SnsSigner

    signer = None
    if type(emulator).__name__ == "FakeSns":  # its certificate, served where SigningCertURL points
        signer = SnsSigner()
        signer.server = stack.enter_context(FakeServer(signer.handle))
    pusher = ReceiptPusher(emulator, url, sns=signer)
    worker = stack.enter_context(ThreadPoolExecutor(max_workers=1))

    def push() -> None:
        for status in pusher.push_new():
            print(json.dumps({"receipt_pushed": url, "answer": status}), flush=True)

    def report(future: Future[None]) -> None:
        if future.exception() is not None:
            print(json.dumps({"receipt_pushed": url, "error": str(future.exception())}), flush=True)

    return lambda: worker.submit(push).add_done_callback(report)


def _toml(provider: str, settings: dict[str, Any]) -> str:
    lines = [f"[providers.{provider}]"]
    lines += [f"{key} = {json.dumps(str(value), ensure_ascii=False)}" for key, value in settings.items()]
    return "\n".join(lines)
