"""Shared test configuration: fixture modules loaded as plugins. Every module in ``tests/fakes``
(provider emulators and gateway drivers) is one, found by itself; servers the tests start are
listed from ``tests/fixtures``."""

from pathlib import Path

from hypothesis import HealthCheck, settings

# No timing in property tests: a loaded 2-core machine may take seconds for one example.
settings.register_profile("smsgate", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("smsgate")

pytest_plugins: list[str] = [
    "tests.fixtures.redis",
    "tests.fixtures.postgres",
    *sorted(f"tests.fakes.{p.stem}" for p in (Path(__file__).parent / "fakes").glob("*.py") if p.stem != "__init__"),
]
