"""``file``: appends each SMS as one JSON line, for development and inspection."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

from pydantic import Field, field_validator

from .._models import Message, RecipientResult
from .._phone import PhoneNumber
from ._outbox import OutboxEntry
from .base import LocalProvider, Settings

__all__ = ["FileProvider", "FileSettings"]


class FileSettings(Settings):
    path: Path = Field(Path("smsgate-outbox.jsonl"), description="JSON-lines file to append to")

    @field_validator("path")
    @classmethod
    def _directory_exists(cls, path: Path) -> Path:
        if not path.parent.is_dir():
            raise ValueError(f"directory {str(path.parent)!r} does not exist")
        return path

    development: bool = Field(False, description="write one-time codes too (a message's secret_params)")


class FileProvider(LocalProvider):
    """Appends one JSON object per recipient to ``path``; safe across threads. A message's
    ``secret_params`` (one-time codes) are masked unless ``development`` is set."""

    name = "file"
    settings_model = FileSettings
    _lock = threading.Lock()

    def deliver(self, message: Message, recipients: Sequence[PhoneNumber]) -> list[RecipientResult]:
        reveal = self.settings.development
        entries = [OutboxEntry.of(message, phone, self.alias, self.name, reveal=reveal) for phone in recipients]
        lines = "".join(json.dumps(e.to_dict(), ensure_ascii=False) + "\n" for e in entries)
        with self._lock, open(self.settings.path, "a", encoding="utf-8") as out:
            out.write(lines)
        return [self.accepted(e_phone, e.message_id) for e_phone, e in zip(recipients, entries, strict=True)]

    def read(self) -> list[OutboxEntry]:
        """Every entry written so far."""
        if not self.settings.path.exists():
            return []
        with open(self.settings.path, encoding="utf-8") as src:
            return [OutboxEntry(**json.loads(line)) for line in src if line.strip()]
