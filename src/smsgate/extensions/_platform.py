"""``Platform``: the core that loads extensions, keeps their settings, and dispatches events."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import logging
import os
import threading
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError

from .._errors import ConfigError, InvalidRequest, OutcomeUnknown, SmsError
from .._gateway import Gateway
from .._redact import needles, scrubbed
from .._registry import provider_class
from .._retry import RetryPolicy
from ..providers.base import settings_problems
from ..stores.base import Store
from ..stores.memory import MemoryStore
from ..transports.base import Transport
from ..transports.defaults import default_transport
from ..verify import KeyRing, VerifyPolicy
from ._endpoints import EndpointPolicy
from ._event import SEND_SMS, Event, Outcome, Outcomes
from ._extension import Extension, Handler, current_event
from ._store import ExtensionStore
from ._verify import VerifyingPlatform

__all__ = ["GROUP", "Platform"]

GROUP = "smsgate.extensions"
_GATEWAYS = 256  # cached gateways (one per provider and settings)

log = logging.getLogger("smsgate.extensions")


class Platform(VerifyingPlatform):
    """Loads extensions (entry points in ``smsgate.extensions``, or :meth:`register`), stores their
    settings and configs per tenant in ``store`` (an :class:`ExtensionStore` or a SQLite path), and
    delivers events to the extensions they target.

    A failing extension never hides the others: :meth:`dispatch` returns one :class:`Outcome` per
    targeted extension, each with its result or its typed error.

    ``endpoints`` says where tenant-set endpoints may point (default: the providers' public hosts,
    plus what ``$SMSGATE_EXTENSIONS_ALLOW`` lists); see :class:`EndpointPolicy`.

    Tenants can have the platform make and check one-time codes (:class:`VerifyingPlatform`):
    ``verify_store``, ``verify_keys`` and ``verify_policy`` configure it.
    """

    def __init__(
        self,
        store: ExtensionStore | str | os.PathLike[str] | None = None,
        *,
        transport: Transport | None = None,
        retry: RetryPolicy | None = None,
        endpoints: EndpointPolicy | None = None,
        verify_store: Store | None = None,
        verify_keys: KeyRing | None = None,
        verify_policy: VerifyPolicy | None = None,
    ) -> None:
        self.store = store if isinstance(store, ExtensionStore) else ExtensionStore(store)
        self.endpoints = endpoints or EndpointPolicy.from_env()
        self.extensions: dict[str, Extension] = {}
        self._transport = transport
        self._retry = retry
        self._gateways: dict[str, Gateway] = {}
        self._lock = threading.Lock()
        self.verify_store = verify_store if verify_store is not None else MemoryStore()
        self.verify_keys = verify_keys
        self.verify_policy = verify_policy

    def __repr__(self) -> str:
        return f"<Platform extensions={sorted(self.extensions)}>"

    # -- loading -------------------------------------------------------------------------------

    def register(self, extension: Extension) -> Extension:
        """Load ``extension`` (calls its ``load()``); a second one with the same package is an error."""
        if extension.package in self.extensions:
            raise ConfigError(f"an extension with package {extension.package!r} is already loaded")
        extension.platform = self
        try:
            extension.load()
        except Exception:
            extension.platform = None
            extension.listeners.clear()
            raise
        self.extensions[extension.package] = extension
        return extension

    def load_entry_points(self, group: str = GROUP) -> list[str]:
        """Load every extension registered in the entry-point group; returns their packages.

        An entry point names an :class:`Extension` subclass (instantiated without arguments) or an
        instance. Broken ones do not stop the others: they are reported together afterwards.
        """
        loaded: list[str] = []
        problems: list[str] = []
        for ep in sorted(entry_points(group=group), key=lambda e: e.name):
            try:
                target = ep.load()
                extension = target() if isinstance(target, type) else target
                if not isinstance(extension, Extension):
                    raise TypeError("not a smsgate Extension")
                if extension.package not in self.extensions:
                    loaded.append(self.register(extension).package)
            except Exception as exc:
                problems.append(f"entry point {ep.name!r} ({ep.value}): {type(exc).__name__}: {exc}")
        if problems:
            raise ConfigError(problems)
        return loaded

    def unload(self, package: str) -> None:
        """Call the extension's ``unload()`` and forget it and its listeners (its stored data stays)."""
        extension = self.extensions.pop(package, None)
        if extension is None:
            raise ConfigError(f"no extension {package!r} is loaded")
        try:
            extension.unload()
        finally:
            extension.listeners.clear()
            extension.platform = None

    # -- settings and configs --------------------------------------------------------------------

    def save_settings(self, tenant: Any, package: str, data: Mapping[str, Any]) -> None:
        """Validate ``data`` against the extension's settings schema and store it for ``tenant``."""
        extension = self._extension(package)
        where = f"settings of {package!r}"
        values, secrets = _validated(extension.settings_schema, data, where)
        provider = getattr(extension, "provider_name", None)
        if isinstance(provider, str):
            try:
                self.endpoints.check(provider, values, public=_public_hosts(provider), resolve=False)
            except ConfigError as exc:
                raise ConfigError([f"{where}: {p}" for p in exc.problems]) from None
        self.store.put_settings(_tenant(tenant), package, values, secrets)

    def add_config(self, tenant: Any, package: str, data: Mapping[str, Any], *, name: str = "") -> str:
        """Validate ``data`` against the extension's config schema, store it; returns the config id."""
        extension = self._extension(package)
        values, secrets = _validated(extension.config_schema, data, f"config of {package!r}")
        return self.store.add_config(_tenant(tenant), package, values, name=name, secrets=secrets)

    def list_settings(self, tenant: Any) -> list[dict[str, Any]]:
        """The tenant's settings of every extension; secrets masked."""
        return self.store.list_settings(_tenant(tenant))

    def list_configs(self, tenant: Any, package: str | None = None) -> list[dict[str, Any]]:
        """The tenant's runtime configs; secrets masked."""
        return self.store.list_configs(_tenant(tenant), package)

    def _extension(self, package: str) -> Extension:
        extension = self.extensions.get(package)
        if extension is None:
            raise ConfigError(f"no extension {package!r} is loaded")
        return extension

    # -- dispatching -----------------------------------------------------------------------------

    def dispatch(self, event: Event) -> Outcomes:
        """Deliver ``event`` to its targets; one :class:`Outcome` each. Raises only for a bad event (46001)."""
        return Outcomes(
            target if isinstance(target, Outcome) else _run(package, target, event.copy())
            for package, target in self._targets(event)
        )

    async def adispatch(self, event: Event) -> Outcomes:
        """The async twin of :meth:`dispatch`: targets run concurrently; sync handlers in threads."""
        targets = self._targets(event)
        ran = await asyncio.gather(
            *(
                _done(target) if isinstance(target, Outcome) else _arun(package, target, event.copy())
                for package, target in targets
            )
        )
        return Outcomes(ran)

    def _targets(self, event: Event) -> list[tuple[str, Handler | Outcome]]:
        """The handlers to call, in order, or the outcome for a package that cannot take the event."""
        event.check()
        if event.tag == SEND_SMS and not event.packages:
            raise InvalidRequest("SEND_SMS: name the SMS extension package(s) to send through", field="packages")
        if not event.packages:
            return [(p, h) for p, ext in self.extensions.items() for tag, h in ext.listeners if tag == event.tag]
        targets: list[tuple[str, Handler | Outcome]] = []
        for package in dict.fromkeys(event.packages):
            extension = self.extensions.get(package)
            handlers = [h for tag, h in extension.listeners if tag == event.tag] if extension else []
            if extension is None:
                targets.append((package, Outcome(package, error=ConfigError(f"no extension {package!r} is loaded"))))
            elif not handlers:
                error = ConfigError(f"{package!r} does not listen for {event.tag}")
                targets.append((package, Outcome(package, error=error)))
            targets.extend((package, h) for h in handlers)
        return targets

    # -- the core underneath ----------------------------------------------------------------------

    def gateway(self, provider: str, settings: Mapping[str, Any]) -> Gateway:
        """A core gateway over ``provider`` with ``settings``, cached per settings.

        Raises :class:`ConfigError` when the endpoint (or proxy) is not allowed by :attr:`endpoints`,
        checked on the addresses its host resolves to now.
        """
        self.endpoints.check(provider, settings, public=_public_hosts(provider), resolve=True)
        plain = {k: v.get_secret_value() if isinstance(v, SecretStr) else v for k, v in settings.items()}
        key = hashlib.sha256(json.dumps([provider, plain], sort_keys=True, default=str).encode()).hexdigest()
        with self._lock:
            gateway = self._gateways.get(key)
            if gateway is None:
                if self._transport is None:
                    self._transport = default_transport(16)
                options: dict[str, Any] = {"transport": self._transport}
                if self._retry is not None:
                    options["retry"] = self._retry
                gateway = Gateway({provider: {"provider": provider, **settings}}, **options)
                if len(self._gateways) >= _GATEWAYS:
                    self._gateways.pop(next(iter(self._gateways)))
                self._gateways[key] = gateway
        return gateway

    def close(self) -> None:
        self._gateways.clear()
        if self._transport is not None:
            self._transport.close()
        self.store.close()


def _public_hosts(provider: str) -> tuple[str, ...]:
    try:
        return tuple(getattr(provider_class(provider), "public_hosts", ()))
    except (ConfigError, ImportError):  # the gateway names what is wrong with the provider
        return ()


def _tenant(tenant: Any) -> str:
    tenant_id = getattr(tenant, "id", tenant)
    if tenant_id is None or not str(tenant_id).strip():
        raise InvalidRequest("a tenant is required", field="tenant")
    return str(tenant_id)


def _validated(schema: type[BaseModel] | None, data: Mapping[str, Any], where: str) -> tuple[dict[str, Any], list[str]]:
    if schema is None:
        return dict(data), []
    known = {name for key, f in schema.model_fields.items() for name in (key, f.alias) if name}
    problems = [f"{where}: {key}: unknown setting" for key in data if key not in known]
    model: BaseModel | None = None
    try:
        model = schema.model_validate(dict(data))
    except ValidationError as exc:
        problems += [p for p in settings_problems(exc, where) if not p.endswith("unknown setting")]
    if problems or model is None:
        raise ConfigError(problems or f"{where}: invalid")
    values = dict(model)
    return values, [k for k, v in values.items() if isinstance(v, SecretStr)]


def _outcome(package: str, error: Exception, event: Event) -> Outcome:
    if not isinstance(error, SmsError):
        # a bug or an unexpected failure inside the extension: it may have sent before failing
        wrapped = OutcomeUnknown(f"extension {package!r} failed: {type(error).__name__}")
        wrapped.__cause__ = error
        error = wrapped
    # the event's data (codes, phones) out of its words; no traceback: its frames hold the data
    error = scrubbed(error, needles(None, [{k: v for k, v in event.data.items() if isinstance(v, str)}]))
    log.warning("extension %s failed: %r", package, error)
    return Outcome(package, error=error)


def _run(package: str, handler: Handler, event: Event) -> Outcome:
    token = current_event.set(event)
    try:
        return Outcome(package, handler(event))
    except Exception as exc:
        return _outcome(package, exc, event)
    finally:
        current_event.reset(token)


async def _done(outcome: Outcome) -> Outcome:
    return outcome


async def _arun(package: str, handler: Handler, event: Event) -> Outcome:
    current_event.set(event)  # this task's own context
    try:
        if inspect.iscoroutinefunction(handler):
            return Outcome(package, await handler(event))
        return Outcome(package, await asyncio.to_thread(handler, event))
    except Exception as exc:
        return _outcome(package, exc, event)
