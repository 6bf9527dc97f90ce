"""smsgate: send SMS through any provider, with failover that never double-sends."""

from typing import TYPE_CHECKING, Any

from ._errors import (
    Category,
    ConfigError,
    InvalidPhone,
    InvalidRequest,
    NotAuthentic,
    OutcomeUnknown,
    PolicyRefused,
    Rejected,
    RequestFailed,
    SmsError,
    StoreError,
    Throttled,
    Unreachable,
)
from ._http import Endpoint, HttpRequest, HttpResponse
from ._models import Attempt, Message, RecipientResult, SendResult, Sent, Status
from ._observe import Hooks, Metrics
from ._phone import PhoneNumber
from ._reports import DeliveryReport, DeliveryStatus, InboundMessage
from ._retry import RetryPolicy

if TYPE_CHECKING:
    from ._config import Config, load_config
    from ._gateway import AsyncGateway, Gateway
    from ._registry import available_providers, provider_class
    from .campaigns import Campaign, Campaigns, CampaignState
    from .elements import App
    from .extensions import Platform
    from .policy import Blocklist, CircuitBreaker, CountryAllowlist, Idempotency, PhoneLimits, ProviderRate
    from .providers.base import LocalProvider, Provider, ProviderSettings
    from .stores import LogRecord, MemoryStore, Store
    from .stores.sqlite import SQLiteStore
    from .transports.aiohttp import AiohttpTransport
    from .transports.base import AsyncTransport, Transport
    from .transports.mock import MockTransport
    from .transports.urllib3 import Urllib3Transport
    from .verify import AsyncVerifier, Verification, VerificationFailed, VerificationStatus, Verifier, VerifyPolicy

# imported when first used, so that ``import smsgate`` stays light: the values and errors load at once;
# the gateways, providers (pydantic), policies, stores and transports, and the front doors, when named
_LAZY = {
    "AiohttpTransport": ".transports.aiohttp",
    "App": ".elements",
    "AsyncGateway": "._gateway",
    "AsyncTransport": ".transports.base",
    "AsyncVerifier": ".verify",
    "Blocklist": ".policy",
    "CircuitBreaker": ".policy",
    "CountryAllowlist": ".policy",
    "Gateway": "._gateway",
    "Idempotency": ".policy",
    "LocalProvider": ".providers.base",
    "LogRecord": ".stores",
    "MemoryStore": ".stores",
    "MockTransport": ".transports.mock",
    "PhoneLimits": ".policy",
    "Provider": ".providers.base",
    "ProviderRate": ".policy",
    "ProviderSettings": ".providers.base",
    "Store": ".stores",
    "Transport": ".transports.base",
    "available_providers": "._registry",
    "provider_class": "._registry",
    "Campaign": ".campaigns",
    "CampaignState": ".campaigns",
    "Campaigns": ".campaigns",
    "Config": "._config",
    "Platform": ".extensions",
    "SQLiteStore": ".stores.sqlite",
    "Urllib3Transport": ".transports.urllib3",
    "Verification": ".verify",
    "VerificationFailed": ".verify",
    "VerificationStatus": ".verify",
    "Verifier": ".verify",
    "VerifyPolicy": ".verify",
    "load_config": "._config",
}

__version__ = "0.1.0"

__all__ = [
    "AiohttpTransport",
    "App",
    "AsyncGateway",
    "AsyncTransport",
    "AsyncVerifier",
    "Attempt",
    "Blocklist",
    "Campaign",
    "CampaignState",
    "Campaigns",
    "Category",
    "CircuitBreaker",
    "Config",
    "ConfigError",
    "CountryAllowlist",
    "DeliveryReport",
    "DeliveryStatus",
    "Endpoint",
    "Gateway",
    "Hooks",
    "HttpRequest",
    "HttpResponse",
    "Idempotency",
    "InboundMessage",
    "InvalidPhone",
    "InvalidRequest",
    "LocalProvider",
    "LogRecord",
    "MemoryStore",
    "Message",
    "Metrics",
    "MockTransport",
    "NotAuthentic",
    "OutcomeUnknown",
    "PhoneLimits",
    "PhoneNumber",
    "Platform",
    "PolicyRefused",
    "Provider",
    "ProviderRate",
    "ProviderSettings",
    "RecipientResult",
    "Rejected",
    "RequestFailed",
    "RetryPolicy",
    "SQLiteStore",
    "SendResult",
    "Sent",
    "SmsError",
    "Status",
    "Store",
    "StoreError",
    "Throttled",
    "Transport",
    "Unreachable",
    "Urllib3Transport",
    "Verification",
    "VerificationFailed",
    "VerificationStatus",
    "Verifier",
    "VerifyPolicy",
    "__version__",
    "available_providers",
    "load_config",
    "provider_class",
]


def _public(obj: Any) -> Any:
    if isinstance(obj, type) or callable(obj):
        obj.__module__ = __name__  # public names live at smsgate.X
    return obj


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'smsgate' has no attribute {name!r}")
    import importlib

    value = globals()[name] = _public(getattr(importlib.import_module(_LAZY[name], __name__), name))
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


for _name in __all__:
    if _name not in _LAZY:
        _public(globals()[_name])
