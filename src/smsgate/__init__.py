"""smsgate: send SMS through any provider, with failover that never double-sends."""

from ._config import Config, load_config
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
from ._gateway import AsyncGateway, Gateway
from ._http import Endpoint, HttpRequest, HttpResponse
from ._models import Attempt, Message, RecipientResult, SendResult, Status
from ._observe import Hooks, Metrics
from ._phone import PhoneNumber
from ._registry import available_providers, provider_class
from ._reports import DeliveryReport, DeliveryStatus, InboundMessage
from ._retry import RetryPolicy
from .campaigns import Campaign, Campaigns, CampaignState
from .elements import App
from .extensions import Platform
from .policy import Blocklist, CircuitBreaker, CountryAllowlist, Idempotency, PhoneLimits, ProviderRate
from .providers.base import LocalProvider, Provider, ProviderSettings
from .stores import LogRecord, MemoryStore, SQLiteStore, Store
from .transports import AiohttpTransport, AsyncTransport, MockTransport, Transport, Urllib3Transport
from .verify import AsyncVerifier, Verification, VerificationFailed, VerificationStatus, Verifier, VerifyPolicy

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

for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) or callable(_obj):
        _obj.__module__ = __name__  # public names live at smsgate.X
