"""Element type names and ``sms.json`` keys, mapped onto the registered providers.

``SMS.<Name>`` names the provider registered as ``<name>`` (lower case, or snake case for
CamelCase names), except for the few irregular names in :data:`IRREGULAR`. Keys in ``sms.json``
are the provider's settings in camelCase or snake_case; :data:`ALIASES` adds the seed's own
names for a provider (``accessKey``, ``verifySign``…).
"""

from __future__ import annotations

import re

from .._registry import available_providers

__all__ = [
    "ALIASES",
    "IRREGULAR",
    "META",
    "REQUIRED",
    "camel",
    "element_types",
    "provider_for_type",
    "snake",
    "type_for_provider",
]

PREFIX = "SMS."
META = "SMS.Meta"

IRREGULAR: dict[str, str] = {"AwsSns": "sns"}
"""Type names whose provider name is not their lower- or snake-case form."""

ALIASES: dict[str, dict[str, str]] = {
    "aliyun": {"accessKey": "access_key_id", "accessSecret": "access_key_secret", "verifySign": "sign_name"},
}
"""Per provider: the seed's ``sms.json`` key → the provider's setting."""

REQUIRED: dict[str, tuple[str, ...]] = {"aliyun": ("access_key_id", "access_key_secret", "sign_name")}
"""Per provider: settings an element must give even where the provider itself could do without."""

_UPPER = re.compile(r"(?<!^)([A-Z])")


def snake(name: str) -> str:
    """``accessKeyId`` → ``access_key_id``; ``AwsSns`` → ``aws_sns``; snake case is kept."""
    return _UPPER.sub(r"_\1", name).lower()


def camel(name: str) -> str:
    """``access_key_id`` → ``accessKeyId``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def provider_for_type(type_name: str) -> str | None:
    """The registered provider behind ``SMS.<Name>``, or ``None`` when there is none."""
    if not type_name.startswith(PREFIX) or type_name == META:
        return None
    name = type_name[len(PREFIX) :]
    installed = set(available_providers())
    for candidate in (IRREGULAR.get(name), name.lower(), snake(name)):
        if candidate and candidate in installed:
            return candidate
    return None


def type_for_provider(provider: str) -> str:
    """``aliyun`` → ``SMS.Aliyun``; ``sns`` → ``SMS.AwsSns``."""
    for type_name, name in IRREGULAR.items():
        if name == provider:
            return PREFIX + type_name
    return PREFIX + "".join(part[:1].upper() + part[1:] for part in provider.split("_"))


def element_types() -> dict[str, str]:
    """Every built-in element type and its provider, e.g. ``{"SMS.Aliyun": "aliyun", …}``."""
    return {type_for_provider(name): name for name in available_providers()}


def key_map(provider: str) -> dict[str, str]:
    """``sms.json`` keys the seed names specially for ``provider`` (alias → setting)."""
    return ALIASES.get(provider, {})


def display_key(provider: str, setting: str) -> str:
    """How to name ``setting`` to a user of ``sms.json``: the seed's alias, else camelCase."""
    for alias, target in key_map(provider).items():
        if target == setting:
            return alias
    return camel(setting)
