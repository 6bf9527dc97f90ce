"""smsgate: send SMS through any provider, with failover that never double-sends."""

from ._errors import (
    Category,
    ConfigError,
    InvalidPhone,
    InvalidRequest,
    OutcomeUnknown,
    PolicyRefused,
    Rejected,
    RequestFailed,
    SmsError,
    Throttled,
    Unreachable,
)
from ._gateway import AsyncGateway, Gateway
from ._http import HttpRequest, HttpResponse
from ._models import Attempt, Message, RecipientResult, SendResult, Status
from ._phone import PhoneNumber
from ._registry import available_providers, provider_class
from ._retry import RetryPolicy
from .providers.base import LocalProvider, Provider, ProviderSettings
from .transports import AiohttpTransport, AsyncTransport, MockTransport, Transport, Urllib3Transport

__version__ = "0.1.0"

__all__ = [
    "AiohttpTransport",
    "AsyncGateway",
    "AsyncTransport",
    "Attempt",
    "Category",
    "ConfigError",
    "Gateway",
    "HttpRequest",
    "HttpResponse",
    "InvalidPhone",
    "InvalidRequest",
    "LocalProvider",
    "Message",
    "MockTransport",
    "OutcomeUnknown",
    "PhoneNumber",
    "PolicyRefused",
    "Provider",
    "ProviderSettings",
    "RecipientResult",
    "Rejected",
    "RequestFailed",
    "RetryPolicy",
    "SendResult",
    "SmsError",
    "Status",
    "Throttled",
    "Transport",
    "Unreachable",
    "Urllib3Transport",
    "__version__",
    "available_providers",
    "provider_class",
]

for _name in __all__:
    _obj = globals()[_name]
    if hasattr(_obj, "__module__") and not isinstance(_obj, str):
        try:
            _obj.__module__ = "smsgate"
        except (AttributeError, TypeError):
            pass
