"""Shared test configuration. Fixture modules are listed in ``pytest_plugins``."""

pytest_plugins: list[str] = []
