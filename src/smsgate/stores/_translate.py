"""A driver's errors as :class:`~smsgate.StoreError`: named store and operation, logged, the cause kept."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from .._errors import StoreError

__all__ = ["store_error", "translating"]

logger = logging.getLogger("smsgate")
S = TypeVar("S", bound=type)


def store_error(store: str, operation: str, exc: BaseException) -> StoreError:
    """The :class:`~smsgate.StoreError` for a driver's ``exc``, logged (raise it ``from exc``)."""
    logger.warning("%s: %s failed: %s", store, operation, exc)
    return StoreError(f"{store}: {operation} failed: {exc}", store=store, operation=operation)


def translating(*errors: type[BaseException]) -> Callable[[S], S]:
    """A class decorator: the driver's ``errors`` raised by a public method become a :class:`StoreError`."""

    def decorate(cls: S) -> S:
        for name, method in list(vars(cls).items()):
            if not name.startswith("_") and inspect.isfunction(method):
                setattr(cls, name, _translated(method, cls.__name__, errors))
        return cls

    return decorate


def _translated(method: Callable[..., Any], store: str, errors: tuple[type[BaseException], ...]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def twin(*args: Any, **kwargs: Any) -> Any:
            try:
                return await method(*args, **kwargs)
            except errors as exc:
                raise store_error(store, method.__name__, exc) from exc

        return twin

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except errors as exc:
            raise store_error(store, method.__name__, exc) from exc

    return call
