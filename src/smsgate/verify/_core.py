"""What both verifiers share: configuration, where state is kept, and the steps' vocabulary.

The steps themselves are generators (``_checking``, ``_starting``) that yield store calls
(:class:`~smsgate._steps.Call`) and sends (:class:`Send`) and do no I/O; ``Verifier`` runs them
blocking, ``AsyncVerifier`` with asyncio.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from .._models import Message
from .._phone import PhoneNumber
from .._steps import Call
from ..stores.base import Store
from ..stores.memory import MemoryStore
from ._keys import ENV_KEYS, KeyRing
from ._model import VerificationStatus, VerifyPolicy
from ._record import Record
from ._stats import StatsKeys

__all__ = ["Flow", "Send", "VerifierCore", "default_keys", "dumps", "loads", "logger"]

logger = logging.getLogger("smsgate.verify")
T = TypeVar("T")


@dataclass(slots=True)
class Send:
    """Send ``message`` through the gateway; the driver answers with its :class:`~smsgate.SendResult`."""

    message: Message


Flow = Generator[Call | Send, Any, T]


class VerifierCore:
    """Configuration and the steps of every operation; the drivers only run them."""

    def __init__(
        self,
        gateway: Any,
        store: Store | None = None,
        *,
        keys: KeyRing | Mapping[str, Any] | None = None,
        policy: VerifyPolicy | None = None,
        code_param: str = "code",
        namespace: str = "",
        screen: Callable[[PhoneNumber, str | None], Any] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.gateway = gateway
        self.store: Store = store if store is not None else gateway.store
        if keys is None:
            keys = default_keys(self.store)
        self.keys = keys if isinstance(keys, KeyRing) else KeyRing(keys)
        self.policy = policy or VerifyPolicy()
        self.code_param = code_param
        self.prefix = f"verify:{namespace}:" if namespace else "verify:"
        self.counters = StatsKeys(self.store, self.prefix)
        self.screen = screen
        self.clock: Callable[[], float] = clock or gateway.clock

    def __repr__(self) -> str:
        return f"<{type(self).__name__} store={self.store!r} keys={self.keys!r}>"

    def key(self, verification_id: str, part: str = "") -> str:
        """Where a verification's ``part`` is kept (see ``_record``)."""
        base = self.prefix + verification_id
        return f"{base}:{part}" if part else base

    def live_key(self, purpose: str, phone: str) -> str:
        return f"{self.prefix}live:{purpose}:{phone}"

    def count(self, record: Record, status: VerificationStatus) -> Flow[None]:
        """Count ``record`` as having become ``status`` (see ``_stats``); a failure is only logged."""
        try:
            yield Call(self.store, "run", (self.counters.finished(record, status, record.retention),))
        except Exception:
            logger.warning("could not count a verification as %s", status.value, exc_info=True)


def default_keys(store: Store) -> KeyRing:
    """``$SMSGATE_VERIFY_KEYS``; without it, a key of this process's own for a ``MemoryStore``
    (whose state dies with the process anyway), else a :class:`~smsgate.ConfigError`."""
    if isinstance(store, MemoryStore) and not os.environ.get(ENV_KEYS):
        return KeyRing.ephemeral()
    return KeyRing.from_env()


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"))


def loads(text: str | None) -> dict[str, Any]:
    return dict(json.loads(text)) if text else {}
