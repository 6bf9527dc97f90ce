"""The HTTP service (``smsgate serve``): a thin FastAPI front door onto ``AsyncGateway``.

Needs the ``server`` extra. Never imported by ``import smsgate``.
"""

from ._app import create_app, create_app_from_env, store_for
from ._keys import SCOPES, ApiKey, ApiKeys, NewKey
from ._problems import Problem
from ._service import Service

__all__ = [
    "SCOPES",
    "ApiKey",
    "ApiKeys",
    "NewKey",
    "Problem",
    "Service",
    "create_app",
    "create_app_from_env",
    "store_for",
]
