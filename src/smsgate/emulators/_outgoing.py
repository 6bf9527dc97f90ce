"""A push an emulator makes (a delivery receipt, an inbound message), and what building one needs."""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import urllib3

__all__ = ["Outgoing", "beijing", "json_push"]

_BEIJING = datetime.timezone(datetime.timedelta(hours=8))


@dataclass
class Outgoing:
    """One push: where it goes and what it carries."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    def send(self) -> tuple[int, bytes]:
        """Deliver it over HTTP; the receiver's status and body."""
        with urllib3.PoolManager(retries=False, timeout=30.0) as pool:  # one connection, closed after
            response = pool.request(self.method, self.url, headers=self.headers, body=self.body or None)
            return response.status, bytes(response.data)


def beijing(ts: float) -> str:
    """``ts`` as Beijing wall time, ``YYYY-MM-DD HH:MM:SS``."""
    return datetime.datetime.fromtimestamp(ts, _BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def json_push(url: str, payload: Any, headers: Mapping[str, str] | None = None) -> Outgoing:
    """A JSON POST of ``payload`` to ``url``."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    return Outgoing("POST", url, {"Content-Type": "application/json", **(headers or {})}, body)
