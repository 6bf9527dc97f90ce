"""An element's ``sms.json``: seed names, camelCase or snake_case keys → a validated provider."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, cast

from pydantic import ValidationError

from .._errors import ConfigError
from .._registry import available_providers, provider_class
from ..providers.base import LocalProvider, Provider
from ._types import REQUIRED, camel, display_key, key_map, snake

__all__ = ["build_provider", "setting_keys"]


def setting_keys(raw: Mapping[str, Any], cls: type[Provider], shown: str, problems: list[str]) -> dict[str, Any]:
    """``sms.json`` keys (seed alias, camelCase or snake_case) → the provider's setting names."""
    fields = cls.settings_model.model_fields
    aliases = {**{f.alias: name for name, f in fields.items() if f.alias}, **key_map(cls.name)}
    out: dict[str, Any] = {}
    given_as: dict[str, str] = {}
    for key, value in raw.items():
        target = aliases.get(key) or (key if key in fields else snake(key))
        if target not in fields:
            if issubclass(cls, LocalProvider) and key in other_types_keys():
                continue  # a development sink takes another type's sms.json as it is
            known = ", ".join(display_key(cls.name, f) for f in fields)
            problems.append(f"{shown}: {key}: unknown key (known: {known})")
        elif target in given_as:
            problems.append(f"{shown}: {key}: given twice (also as {given_as[target]})")
        else:
            out[target] = value
            given_as[target] = key
    return out


@cache
def other_types_keys() -> frozenset[str]:
    """Every ``sms.json`` key some installed HTTP provider's type takes (seed alias, camelCase, snake_case)."""
    keys: set[str] = set()
    for name in available_providers():
        try:
            cls = provider_class(name)
        except ConfigError:
            continue
        if issubclass(cls, LocalProvider):
            continue
        for setting, field in cls.settings_model.model_fields.items():
            keys.update(k for k in (setting, camel(setting), field.alias) if k)
        keys.update(key_map(name))
    return frozenset(keys)


def build_provider(
    name: str, cls: type[Provider], values: dict[str, Any], shown: str, problems: list[str]
) -> Provider | None:
    """The provider for element ``name``, or ``None`` with every problem appended (values never echoed)."""
    missing = [s for s in REQUIRED.get(cls.name, ()) if values.get(s) in (None, "")]
    for setting in missing:
        problems.append(f"{shown}: {display_key(cls.name, setting)}: required")
    try:
        settings = cls.settings_model.model_validate(values)
    except ValidationError as exc:
        for item in exc.errors():
            setting = str(item["loc"][0]) if item["loc"] else "(settings)"
            if setting in missing:
                continue
            text = "required" if item["type"] == "missing" else item["msg"]
            problems.append(f"{shown}: {display_key(cls.name, setting)}: {text}")
        return None
    if missing:
        return None
    try:
        return cls(cast(Any, settings), alias=name)
    except ConfigError as exc:
        problems.extend(f"{shown}: {p}" for p in exc.problems)
        return None
