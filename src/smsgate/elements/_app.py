"""``App``: an app folder's SMS elements, loaded and validated at once."""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import Any

from .._errors import ConfigError
from .._retry import RetryPolicy
from ..stores.base import Store
from ..stores.memory import MemoryStore
from ..transports.base import AsyncTransport, Transport
from ..transports.defaults import default_transport
from ..verify import KeyRing, VerifyPolicy
from ._element import SmsElement, TypeElement
from ._loader import load_app

__all__ = ["App"]


class App:
    """Every ``SMS/<Name>/`` element under ``root``.

    Loading validates every folder and raises one :class:`~smsgate.ConfigError` whose
    ``problems`` name each file and field. ``transport``, ``async_transport``, ``retry``,
    ``default_region`` and ``send_log`` (a SQLite file recording every message and request) are
    passed to the core gateways the elements send through. Verification
    codes are kept in ``verify_store`` (in memory by default; pass an ``SQLiteStore`` or a shared
    store when several processes check codes), drawn under ``verify_keys`` (``$SMSGATE_VERIFY_KEYS``
    by default) and held to ``verify_policy``.
    """

    def __init__(
        self,
        root: str | PathLike[str],
        *,
        transport: Transport | None = None,
        async_transport: AsyncTransport | None = None,
        retry: RetryPolicy | None = None,
        default_region: str | None = None,
        verify_store: Store | None = None,
        verify_keys: KeyRing | Mapping[str, Any] | None = None,
        verify_policy: VerifyPolicy | None = None,
        send_log: str | None = None,
    ) -> None:
        self.root = Path(root)
        types, specs = load_app(self.root)
        common: dict[str, Any] = {}
        if retry is not None:
            common["retry"] = retry
        if default_region is not None:
            common["default_region"] = default_region
        if send_log is not None:
            common["send_log"] = send_log
        if transport is None:
            transport = default_transport(16)
        self._transport = transport
        self._async_transport = async_transport
        options = {"sync": {**common, "transport": transport}, "async": {**common, "transport": async_transport}}
        options["verify"] = {"store": verify_store or MemoryStore(), "keys": verify_keys, "policy": verify_policy}
        self.types = {name: TypeElement(spec) for name, spec in types.items()}
        self.elements = {name: SmsElement(spec, options) for name, spec in specs.items()}

    def __repr__(self) -> str:
        return f"<App {str(self.root)!r} elements={sorted(self.elements)}>"

    def getElement(self, name: str) -> SmsElement:
        """The element named ``SMS.<Name>``."""
        return self.get_element(name)

    def get_element(self, name: str) -> SmsElement:
        """The instance element named ``SMS.<Name>``; :class:`~smsgate.ConfigError` if there is none."""
        element = self.elements.get(name)
        if element is None:
            what = "a type element, not an instance" if name in self.types else "no such element"
            known = ", ".join(sorted(self.elements)) or "none"
            raise ConfigError(f"{name!r}: {what} in {self.root} (elements: {known})")
        return element

    def close(self) -> None:
        for element in self.elements.values():
            element.close()
        self._transport.close()

    async def aclose(self) -> None:
        for element in self.elements.values():
            await element.aclose()
        self._transport.close()

    def __enter__(self) -> App:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def __aenter__(self) -> App:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
