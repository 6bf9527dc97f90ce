"""Where tenant-set endpoints may point: the provider's public hosts, and what the operator allows.

A tenant of the platform sets its own ``endpoint`` (and, for some providers, ``proxy``), and the
platform then sends signed POSTs there: left open, that is a server-side request forgery. So by
default an endpoint must be one of the provider's public API hosts, over HTTPS on port 443, and
every address that host resolves to when a message is sent must be a public one. Loopback,
link-local (``169.254.169.254``, the cloud metadata service), private ranges, other ports, plain
HTTP and proxies pass only when the operator names them in ``EndpointPolicy(allow=[...])``.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .._errors import ConfigError

__all__ = ["ENV_ALLOW", "PUBLIC_HOSTS", "EndpointPolicy"]

ENV_ALLOW = "SMSGATE_EXTENSIONS_ALLOW"  # comma-separated, read when a Platform gets no policy

#: The API domains of the built-in providers; a provider class may declare its own ``public_hosts``.
PUBLIC_HOSTS: Mapping[str, tuple[str, ...]] = {
    "aliyun": ("aliyuncs.com",),
    "tencent": ("tencentcloudapi.com",),
    "huawei": ("myhuaweicloud.com", "huaweicloud.com"),
    "twilio": ("twilio.com",),
    "sns": ("amazonaws.com", "amazonaws.com.cn"),
    "vonage": ("nexmo.com", "vonage.com"),
    "plivo": ("plivo.com",),
    "bandwidth": ("bandwidth.com",),
    "infobip": ("infobip.com",),
    "messagebird": ("messagebird.com",),
    "sinch": ("sinch.com",),
    "telnyx": ("telnyx.com",),
    "azure": ("communication.azure.com",),
    "clickatell": ("clickatell.com",),
    "msg91": ("msg91.com",),
    "chuanglan": ("253.com",),
    "yunpian": ("yunpian.com",),
    "ucloud": ("ucloud.cn",),
    "netease": ("netease.im", "yunxinapi.com"),
    "ronglian": ("cloopen.com",),
    "submail": ("mysubmail.com", "submail.cn"),
}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[str]]


def _resolve(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


@dataclass(frozen=True)
class EndpointPolicy:
    """Which endpoints and proxies tenants may set. ``allow`` lists what the operator trusts
    beyond the providers' public hosts: address ranges (``"127.0.0.0/8"``, ``"10.1.2.3"``) and host
    names (``"sms-gw.internal"``, or ``".internal"`` for a whole domain), on any port, HTTP or HTTPS.
    ``resolve`` maps a host and port to addresses (the system resolver by default).
    """

    allow: Iterable[str] = ()
    resolve: Resolver = field(default=_resolve, repr=False, compare=False)
    networks: tuple[Network, ...] = field(init=False, repr=False)
    hosts: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        networks: list[Network] = []
        hosts: list[str] = []
        for entry in (e.strip() for e in self.allow):
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                if not entry or "/" in entry or ":" in entry:
                    raise ConfigError(f"endpoint policy: {entry!r} is neither an address range nor a host") from None
                hosts.append(entry.lower())
        object.__setattr__(self, "allow", tuple(e.strip() for e in self.allow))
        object.__setattr__(self, "networks", tuple(networks))
        object.__setattr__(self, "hosts", tuple(hosts))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EndpointPolicy:
        """The policy ``$SMSGATE_EXTENSIONS_ALLOW`` describes (comma-separated ``allow`` entries)."""
        value = (os.environ if environ is None else environ).get(ENV_ALLOW, "")
        return cls([e for e in value.split(",") if e.strip()])

    def check(self, provider: str, settings: Mapping[str, Any], *, public: Iterable[str] = (), resolve: bool) -> None:
        """Raise :class:`ConfigError` naming the field if ``settings`` sends anywhere not allowed;
        with ``resolve``, the addresses the host resolves to now are checked as well."""
        domains = tuple(public) or PUBLIC_HOSTS.get(provider, ())
        for name, domains_here in (("endpoint", domains), ("proxy", ())):
            value = settings.get(name)
            if value:
                self._check(name, str(value), domains_here, resolve)

    def _check(self, name: str, value: str, domains: tuple[str, ...], resolve: bool) -> None:
        parts = urlsplit(value if "://" in value else f"https://{value}")
        try:
            host, port = (parts.hostname or "").lower().rstrip("."), parts.port
        except ValueError:
            raise ConfigError(f"{name}: {value!r} has an invalid port") from None
        if not host or parts.scheme not in ("http", "https"):
            raise ConfigError(f"{name}: {value!r} is not a host, host:port or http(s) URL")
        if self._trusted(host):
            return
        literal = _address(host)
        if literal is not None or not _within(host, domains):
            what = "an address" if literal is not None else "a host"
            raise ConfigError(f"{name}: {host!r} is {what} the platform does not allow ({self._hint(domains)})")
        if parts.scheme != "https" or port not in (None, 443):
            raise ConfigError(f"{name}: {value!r}: only https on port 443 is allowed for {host!r}")
        if resolve:
            self._check_addresses(name, host)

    def _check_addresses(self, name: str, host: str) -> None:
        try:
            addresses = self.resolve(host, 443)
        except OSError as exc:
            raise ConfigError(f"{name}: {host!r} cannot be resolved ({type(exc).__name__})") from None
        for text in addresses:
            address = _address(text)
            if address is None or not (address.is_global or any(address in n for n in self.networks)):
                raise ConfigError(f"{name}: {host!r} resolves to {text}, an address the platform does not allow")

    def _trusted(self, host: str) -> bool:
        address = _address(host)
        if address is not None:
            return any(address in n for n in self.networks)
        return any(host == h or (h.startswith(".") and host.endswith(h)) for h in self.hosts)

    def _hint(self, domains: tuple[str, ...]) -> str:
        public = ", ".join(f"*.{d}" for d in domains) or "none"
        return f"public hosts: {public}; the operator may allow more with EndpointPolicy(allow=[...])"


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _within(host: str, domains: Iterable[str]) -> bool:
    return any(host == d or host.endswith(f".{d}") for d in domains)
