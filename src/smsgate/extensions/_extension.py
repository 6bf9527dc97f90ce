"""``Extension``: the base of every plugin the platform core loads (ArkID style)."""

from __future__ import annotations

import builtins
import contextvars
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel

from .._errors import ConfigError, InvalidRequest
from ._event import Event
from ._store import ConfigRecord, SettingsRecord

if TYPE_CHECKING:
    from ._platform import Platform

__all__ = ["Extension", "Handler", "current_event"]

Handler = Callable[..., Any]

current_event: contextvars.ContextVar[Event | None] = contextvars.ContextVar("smsgate_current_event", default=None)
"""The event being dispatched (each listener runs in its own context)."""


class Extension:
    """A plugin: a package id (``com.example.sms.acme``), a ``load()`` that listens for events and
    registers its schemas, and ``unload()``.

    Per tenant, an extension has *settings* (credentials; :meth:`register_settings_schema`) and any
    number of *runtime configs* (sign name, template…; :meth:`register_config_schema`), kept by the
    platform's store. Values typed ``SecretStr`` in a schema are never listed in clear.
    """

    TYPE: ClassVar[str] = ""
    package: str = ""
    name: str = ""
    version: str = "1.0"

    def __init__(self, package: str | None = None, *, name: str | None = None) -> None:
        if package is not None:
            self.package = package
        if name is not None:
            self.name = name
        if not self.package:
            raise ConfigError(f"{type(self).__name__}: an extension needs a package id, e.g. 'com.example.sms.acme'")
        self.name = self.name or self.package
        self.platform: Platform | None = None
        self.listeners: list[tuple[str, Handler]] = []
        self.settings_schema: type[BaseModel] | None = None
        self.config_schema: type[BaseModel] | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.package!r}>"

    @property
    def type(self) -> str:
        return self.TYPE

    # -- lifecycle -----------------------------------------------------------------------------

    def load(self) -> None:
        """Called when the platform loads the extension: listen for events, register schemas."""

    def unload(self) -> None:
        """Called when the platform unloads the extension; its listeners are removed afterwards."""

    def listen_event(self, tag: str, handler: Handler) -> None:
        """Call ``handler(event)`` for every ``tag`` event that targets this extension."""
        self.listeners.append((tag, handler))

    def register_settings_schema(self, model: builtins.type[BaseModel]) -> None:
        """The pydantic model of a tenant's settings (credentials) for this extension."""
        self.settings_schema = model

    def register_config_schema(self, model: builtins.type[BaseModel]) -> None:
        """The pydantic model of one runtime config (sign name, template code…)."""
        self.config_schema = model

    # -- reading the store ---------------------------------------------------------------------

    def get_settings(self, tenant: Any) -> SettingsRecord:
        """``tenant``'s settings (read ``.settings``); :class:`~smsgate.ConfigError` if it has none."""
        tenant_id = str(getattr(tenant, "id", tenant))
        record = self._platform().store.settings(tenant_id, self.package)
        if record is None:
            raise ConfigError(f"tenant {tenant_id!r} has no settings for {self.package!r}")
        return record

    def get_config_by_id(self, config_id: Any, tenant: Any = None) -> ConfigRecord:
        """The runtime config ``config_id`` (read ``.config``). It must belong to ``tenant``, by
        default the tenant of the event being dispatched, and to this extension: otherwise it is
        not found (46001), whether or not another tenant owns it."""
        if tenant is None:
            event = current_event.get()
            if event is None:
                raise InvalidRequest("get_config_by_id needs a tenant outside event dispatch", field="tenant")
            tenant = event.tenant
        tenant_id = str(getattr(tenant, "id", tenant))
        record = self._platform().store.config(tenant_id, str(config_id))
        if record is None or record.package != self.package:
            raise InvalidRequest(f"no config {str(config_id)!r} for this tenant and extension", field="config_id")
        return record

    def _platform(self) -> Platform:
        if self.platform is None:
            raise ConfigError(f"extension {self.package!r} is not loaded by a platform")
        return self.platform
