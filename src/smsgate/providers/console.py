"""``console``: prints each SMS, for development."""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from .._models import Message, RecipientResult
from .._phone import PhoneNumber
from ._outbox import OutboxEntry
from .base import LocalProvider, Settings

__all__ = ["ConsoleProvider", "ConsoleSettings"]


class ConsoleSettings(Settings):
    stream: Literal["stdout", "stderr"] = Field("stdout", description="where to print")
    development: bool = Field(False, description="print one-time codes too (a message's secret_params)")


class ConsoleProvider(LocalProvider):
    """Prints one block per recipient: phone, template or text, sign name and params.

    It prints params, but a message's ``secret_params`` (one-time codes) only when its settings
    say it is a development sink (``development = true``); otherwise they are masked.
    """

    name = "console"
    settings_model = ConsoleSettings
    _lock = threading.Lock()

    def deliver(self, message: Message, recipients: Sequence[PhoneNumber]) -> list[RecipientResult]:
        stream = sys.stdout if self.settings.stream == "stdout" else sys.stderr
        rows = []
        for phone in recipients:
            entry = OutboxEntry.of(message, phone, self.alias, self.name, reveal=self.settings.development)
            with self._lock:
                print(_format(entry), file=stream, flush=True)
            rows.append(self.accepted(phone, entry.message_id))
        return rows


def _format(entry: OutboxEntry) -> str:
    lines = [f"--- SMS {entry.message_id} via {entry.provider} ---", f"to:       {entry.to}"]
    if entry.sign_name:
        lines.append(f"sign:     {entry.sign_name}")
    if entry.template:
        lines.append(f"template: {entry.template}")
    if entry.params:
        lines.append("params:   " + ", ".join(f"{k}={v}" for k, v in entry.params.items()))
    if entry.text is not None:
        lines.append(f"text:     {entry.text}")
    return "\n".join(lines)
