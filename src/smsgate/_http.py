"""Plain HTTP values exchanged between sans-IO providers and transports."""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson

from ._phone import PhoneNumber

__all__ = ["Endpoint", "HttpRequest", "HttpResponse", "split_endpoint"]

_UNREAD: Any = object()  # HttpResponse.json() not called yet


@dataclass(slots=True)
class HttpRequest:
    """One request a provider wants sent, and what it carries (treat it as read-only).

    ``recipients`` are the phones this request delivers to; ``timeout`` (seconds, total) and
    ``proxy`` come from the provider's settings; ``context`` is the provider's own note to itself
    for parsing the response (which action, which batch).
    """

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    recipients: tuple[PhoneNumber, ...] = ()
    timeout: float = 10.0
    connect_timeout: float = 5.0
    proxy: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:  # headers and body may hold credentials
        return f"HttpRequest({self.method} {self.url}, recipients={len(self.recipients)})"


@dataclass(slots=True)
class HttpResponse:
    """A response as a transport received it (treat it as read-only); look headers up by lower-case name."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    _json: Any = field(default=_UNREAD, init=False, repr=False, compare=False)

    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` when it is empty or not JSON.

        Parsed once: every call returns the same object, so treat it as read-only.
        """
        parsed = self._json
        if parsed is _UNREAD:
            parsed = self._json = _loads(self.body)
        return parsed

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def retry_after(self) -> float | None:
        """Seconds from a standard ``Retry-After`` header (delta seconds or an HTTP date)."""
        value = self.headers.get("retry-after")
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())

    def __repr__(self) -> str:
        return f"HttpResponse(status={self.status}, bytes={len(self.body)})"


def _loads(body: bytes) -> Any:
    if not body:
        return None
    try:  # providers answer in UTF-8 JSON: orjson reads it straight from the bytes
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    try:  # a BOM, UTF-16 or UTF-32, integers beyond 64 bits, or not JSON at all
        return json.loads(body)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a provider sends: ``base`` (scheme, host, port and any path prefix, no trailing ``/``)
    and ``host`` (the ``Host`` header, ``host[:port]``)."""

    base: str
    host: str

    @classmethod
    def parse(cls, endpoint: str, default_scheme: str | None = None) -> Endpoint:
        """A host, ``host:port`` or URL. Without a scheme: ``default_scheme``, else ``http`` for a
        loopback host (local gateways and emulators) and ``https`` for any other.

        Raises ``ValueError`` saying what is wrong (no host, a scheme other than http(s), a bad port).
        """
        text = endpoint.strip()
        if "://" not in text:
            scheme = default_scheme or ("http" if text.startswith(_LOOPBACK) else "https")
            text = f"{scheme}://{text}"
        parts = urlsplit(text)
        if not parts.hostname:
            raise ValueError(f"endpoint {endpoint!r} has no host")
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"endpoint {endpoint!r}: the scheme must be http or https")
        try:
            parts.port  # noqa: B018 (raises for a port that is not a number in range)
        except ValueError:
            raise ValueError(f"endpoint {endpoint!r} has a bad port") from None
        if parts.query or parts.fragment:
            raise ValueError(f"endpoint {endpoint!r}: no query or fragment allowed")
        return cls(f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}", parts.netloc)


_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def split_endpoint(endpoint: str, default_scheme: str = "https") -> tuple[str, str]:
    """:meth:`Endpoint.parse` as ``(base_url, host_header)``: ``dysmsapi.aliyuncs.com`` →
    ``("https://dysmsapi.aliyuncs.com", "dysmsapi.aliyuncs.com")``."""
    parsed = Endpoint.parse(endpoint, default_scheme)
    return parsed.base, parsed.host
