"""Stores: state with atomic operations, shared by limits, idempotency, OTPs and the send log.

``MemoryStore`` (default, one process), ``SQLiteStore`` (embedded, durable), ``RedisStore``
(many processes; needs the ``redis`` extra) and ``PostgresStore`` (durable, many machines; needs
the ``postgres`` extra); the last two are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import LogRecord, Store, Window
from .memory import MemoryStore

if TYPE_CHECKING:
    from .redis import RedisStore
    from .sqlite import SQLiteStore

__all__ = ["LogRecord", "MemoryStore", "PostgresStore", "RedisStore", "SQLiteStore", "Store", "Window"]


def __getattr__(name: str) -> Any:
    if name == "SQLiteStore":  # imported on first use, so that ``import smsgate`` stays light
        from .sqlite import SQLiteStore

        return SQLiteStore
    if name == "RedisStore":
        from .redis import RedisStore

        return RedisStore
    if name == "PostgresStore":
        from .postgres import PostgresStore

        return PostgresStore
    raise AttributeError(name)
