"""Keeping secrets and one-time codes out of what people see: errors, logs, tracebacks.

A provider's answer can echo what it was sent (Aliyun's ``SignatureDoesNotMatch`` quotes the whole
string it signed, STS token and template params included), and an HTTP library's exception or
DEBUG log names the full URL, query string and all. So every error that ends in a result goes
through :func:`scrubbed`: the provider's secrets, the message's params and the recipients' phones
replaced (plain and URL-encoded), its traceback dropped, its cause reduced to type and scrubbed
words. :class:`QueryFilter` takes the query strings out of the HTTP libraries' log records.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

from pydantic import BaseModel, SecretStr

from ._errors import SmsError
from ._phone import PhoneNumber

__all__ = ["MASK", "Cause", "QueryFilter", "needles", "redact", "scrubbed", "strip_queries"]

MASK = "***"
MIN_LENGTH = 4  # shorter values are too common to take out of text without garbling it
_QUERY = re.compile(r"\?[^\s\"'<>)]*")


class Cause(Exception):
    """Stands in for the library exception behind an error: its type and its words, scrubbed."""


def needles(
    settings: Any, params: Iterable[Mapping[str, str]] = (), phones: Iterable[PhoneNumber] = ()
) -> tuple[str, ...]:
    """The texts to take out: every ``SecretStr`` in ``settings``, every param value and every
    phone (in its usual spellings), with their URL-encoded (once and twice) and JSON-escaped
    forms, longest first."""
    values: list[str] = []
    if isinstance(settings, BaseModel):
        values += [v.get_secret_value() for v in vars(settings).values() if isinstance(v, SecretStr)]
    for mapping in params:
        values += mapping.values()
    for phone in phones:
        values += (phone.e164, phone.digits, phone.national_number)
    found: set[str] = set()
    for value in values:
        if len(value) >= MIN_LENGTH:
            once = quote(value, safe="")
            escaped = value.encode("unicode_escape").decode()  # as JSON and Python reprs show non-ASCII
            found.update((value, once, quote(once, safe=""), quote_plus(value), escaped))
    return tuple(sorted(found, key=len, reverse=True))


def redact(value: Any, hidden: tuple[str, ...]) -> Any:
    """``value`` (text, or JSON-like data) with every one of ``hidden`` replaced by ``***``."""
    if not hidden:
        return value
    if isinstance(value, str):
        for needle in hidden:
            if needle in value:
                value = value.replace(needle, MASK)
        return value
    if isinstance(value, Mapping):
        return {redact(k, hidden): redact(v, hidden) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact(v, hidden) for v in value)
    return value


def strip_queries(text: str) -> str:
    """``text`` with every URL query string cut to ``?…``."""
    return _QUERY.sub("?…", text)


def scrubbed(error: SmsError, hidden: tuple[str, ...]) -> SmsError:
    """``error``, changed in place: ``hidden`` out of its words and raw reply, no traceback (its
    frames' locals hold requests and params), and its cause a :class:`Cause` of type and words."""
    if hidden:
        error.message = redact(error.message, hidden)
        error.args = (error.message,)
        error.provider_message = redact(error.provider_message, hidden)
        error.raw = redact(error.raw, hidden)
    error.__traceback__ = None
    cause = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    if cause is not None and not isinstance(cause, Cause):
        name = f"{type(cause).__module__}.{type(cause).__qualname__}"
        error.__cause__ = Cause(f"{name}: {redact(strip_queries(str(cause)), hidden)}")
    error.__context__ = None
    return error


class QueryFilter(logging.Filter):
    """Cuts query strings (template params, phones, tokens) out of a library's log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(strip_queries(a) if isinstance(a, str) and "?" in a else a for a in record.args)
        elif isinstance(record.msg, str) and "?" in record.msg and not record.args:
            record.msg = strip_queries(record.msg)
        return True


def filter_queries(*loggers: str) -> None:
    """Install one :class:`QueryFilter` on each named logger (idempotent)."""
    for name in loggers:
        logger = logging.getLogger(name)
        if not any(isinstance(f, QueryFilter) for f in logger.filters):
            logger.addFilter(QueryFilter())
