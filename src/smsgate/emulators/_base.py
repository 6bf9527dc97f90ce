"""What every emulator keeps: what it delivered, and the server it runs on once started."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .server import FakeServer

__all__ = ["EmulatorBase"]


@dataclass
class EmulatorBase:
    """Base of the emulators: ``delivered`` (one entry per delivery: a dict, or the emulator's own
    record type) and ``server`` (set by ``serve``)."""

    delivered: list[Any] = field(default_factory=list)
    server: FakeServer | None = None

    @property
    def endpoint(self) -> str:
        """The running server's URL: what a provider's ``endpoint`` setting points at."""
        assert self.server is not None, "not serving yet: use smsgate.emulators.serve()"
        return self.server.url
