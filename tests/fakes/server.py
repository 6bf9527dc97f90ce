"""The emulators' HTTP server, for tests that serve a handler of their own."""

from smsgate.emulators.server import FakeServer, Fault, Received

__all__ = ["FakeServer", "Fault", "Received"]
