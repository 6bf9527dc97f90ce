"""Loading ``SMS/<Name>/`` folders: every problem in the whole app is collected, then raised at once."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError

from .._errors import ConfigError
from .._registry import provider_class
from ..providers.base import Provider
from ._jsonfile import read_object
from ._types import META, PREFIX, REQUIRED, display_key, key_map, provider_for_type, snake

__all__ = ["ElementSpec", "TypeSpec", "load_app"]

_INSTANCE_KEYS = ("title", "type", "backendBundleEntry")
_TYPE_KEYS = (*_INSTANCE_KEYS, "provider", "providerClass")


@dataclass(frozen=True)
class TypeSpec:
    """An element type: a provider class and the settings its instances start from."""

    name: str
    provider_cls: type[Provider]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    title: str = ""
    folder: Path | None = None  # None for the built-in types

    @property
    def provider_name(self) -> str:
        return self.provider_cls.name


@dataclass(frozen=True)
class ElementSpec:
    """An instance element, validated: its provider is built and ready."""

    name: str
    title: str
    type: TypeSpec
    folder: Path
    provider: Provider


def load_app(root: Path) -> tuple[dict[str, TypeSpec], dict[str, ElementSpec]]:
    """The user types and instance elements under ``root/SMS``; raises :class:`ConfigError` listing every problem."""
    problems: list[str] = []
    if not root.is_dir():
        raise ConfigError(f"{root}: not a directory")
    headers: dict[str, tuple[Path, dict[str, Any]]] = {}
    base = root / "SMS"
    for folder in sorted(base.iterdir()) if base.is_dir() else []:
        if not folder.is_dir() or folder.name.startswith((".", "__")):
            continue
        header = _header(folder, root, problems)
        if header is not None:
            headers[PREFIX + folder.name] = (folder, header)
    types: dict[str, TypeSpec] = {}
    for name, (folder, header) in headers.items():
        if header["type"] == META:
            spec = _user_type(name, folder, header, root, problems)
            if spec is not None:
                types[name] = spec
    elements: dict[str, ElementSpec] = {}
    for name, (folder, header) in headers.items():
        if header["type"] != META:
            element = _instance(name, folder, header, types, root, problems)
            if element is not None:
                elements[name] = element
    if problems:
        raise ConfigError(problems)
    return types, elements


def _shown(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _header(folder: Path, root: Path, problems: list[str]) -> dict[str, Any] | None:
    shown = _shown(folder / "e.json", root)
    data = read_object(folder / "e.json", shown, problems)
    if data is None:
        return None
    is_type = data.get("type") == META
    allowed = _TYPE_KEYS if is_type else _INSTANCE_KEYS
    found = len(problems)
    for key in data:
        if key not in allowed:
            problems.append(f"{shown}: {key}: unknown key (allowed: {', '.join(allowed)})")
    for key in _INSTANCE_KEYS:
        value = data.get(key)
        if key not in data:
            problems.append(f"{shown}: {key}: required")
        elif not isinstance(value, str) or not value.strip():
            problems.append(f"{shown}: {key}: must be a non-empty string")
    entry = data.get("backendBundleEntry")
    if isinstance(entry, str) and entry.strip() and not _inside(folder, entry):
        problems.append(f"{shown}: backendBundleEntry: {entry!r} is not a folder inside the element")
    if is_type and ("provider" in data) == ("providerClass" in data):
        problems.append(f"{shown}: a type element names exactly one of provider, providerClass")
    return data if len(problems) == found else None


def _inside(folder: Path, entry: str) -> bool:
    target = (folder / entry).resolve()
    return target.is_dir() and (target == folder.resolve() or folder.resolve() in target.parents)


def _user_type(name: str, folder: Path, header: dict[str, Any], root: Path, problems: list[str]) -> TypeSpec | None:
    shown = _shown(folder / "e.json", root)
    try:
        if "provider" in header:
            cls = _named_provider(str(header["provider"]))
        else:
            cls = _class_provider(str(header["providerClass"]), folder / str(header["backendBundleEntry"]))
    except ConfigError as exc:
        key = "provider" if "provider" in header else "providerClass"
        problems.extend(f"{shown}: {key}: {p}" for p in exc.problems)
        return None
    settings_file = folder / "sms.json"
    raw = read_object(settings_file, _shown(settings_file, root), problems, required=False) or {}
    defaults = _keys(raw, cls, _shown(settings_file, root), problems)
    return TypeSpec(name, cls, defaults, str(header["title"]), folder)


def _named_provider(name: str) -> type[Provider]:
    """An installed provider by entry-point name (``aliyun``) or built-in type name (``SMS.Aliyun``)."""
    if name.startswith(PREFIX):
        found = provider_for_type(name)
        if found is None:
            raise ConfigError(f"no installed provider for type {name!r}")
        name = found
    return _load(name)


def _load(name: str) -> type[Provider]:
    try:
        return provider_class(name)
    except ImportError as exc:
        raise ConfigError(f"provider {name!r} is registered but cannot be imported ({exc.name or exc})") from None


def _class_provider(ref: str, bundle: Path) -> type[Provider]:
    """``module:Class`` (or ``module.Class``), from ``module.py`` in the element's bundle, else importable."""
    module_name, sep, attr = ref.partition(":")
    if not sep:
        module_name, _, attr = ref.rpartition(".")
    if not module_name or not attr:
        raise ConfigError(f"{ref!r}: expected 'module:Class'")
    local = bundle / (module_name.replace(".", "/") + ".py")
    try:
        if local.is_file():
            unique = f"smsgate_elements_{abs(hash(local.resolve()))}_{module_name.replace('.', '_')}"
            spec = importlib.util.spec_from_file_location(unique, local)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[unique] = module
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
    except Exception as exc:
        raise ConfigError(f"{ref!r}: cannot import {module_name!r}: {type(exc).__name__}: {exc}") from None
    cls = getattr(module, attr, None)
    if not (isinstance(cls, type) and issubclass(cls, Provider)):
        raise ConfigError(f"{ref!r}: {attr!r} is not a smsgate Provider class")
    return cls


def _keys(raw: Mapping[str, Any], cls: type[Provider], shown: str, problems: list[str]) -> dict[str, Any]:
    """``sms.json`` keys (seed alias, camelCase or snake_case) → the provider's setting names."""
    fields = cls.settings_model.model_fields
    aliases = key_map(cls.name)
    out: dict[str, Any] = {}
    given_as: dict[str, str] = {}
    for key, value in raw.items():
        target = aliases.get(key) or (key if key in fields else snake(key))
        if target not in fields:
            known = ", ".join(display_key(cls.name, f) for f in fields)
            problems.append(f"{shown}: {key}: unknown key (known: {known})")
        elif target in given_as:
            problems.append(f"{shown}: {key}: given twice (also as {given_as[target]})")
        else:
            out[target] = value
            given_as[target] = key
    return out


def _instance(
    name: str, folder: Path, header: dict[str, Any], types: Mapping[str, TypeSpec], root: Path, problems: list[str]
) -> ElementSpec | None:
    shown_e = _shown(folder / "e.json", root)
    type_spec = types.get(header["type"]) or _builtin_type(header["type"])
    if type_spec is None:
        problems.append(f"{shown_e}: type: unknown type {header['type']!r} ({_known_types(types)})")
        return None
    if isinstance(type_spec, str):
        problems.append(f"{shown_e}: type: {type_spec}")
        return None
    settings_file = folder / "sms.json"
    shown = _shown(settings_file, root)
    found = len(problems)
    raw = read_object(settings_file, shown, problems, required=bool(REQUIRED.get(type_spec.provider_name)))
    if raw is None and len(problems) > found:
        return None
    values = {**type_spec.defaults, **_keys(raw or {}, type_spec.provider_cls, shown, problems)}
    provider = _build(name, type_spec, values, shown, problems)
    if provider is None or len(problems) > found:
        return None
    return ElementSpec(name, str(header["title"]), type_spec, folder, provider)


def _builtin_type(type_name: str) -> TypeSpec | str | None:
    provider = provider_for_type(type_name)
    if provider is None:
        return None
    try:
        return TypeSpec(type_name, _load(provider))
    except ConfigError as exc:
        return exc.problems[0]


def _known_types(types: Mapping[str, TypeSpec]) -> str:
    from ._types import element_types

    names = sorted({*element_types(), *types})
    return "known: " + ", ".join(names)


def _build(name: str, spec: TypeSpec, values: dict[str, Any], shown: str, problems: list[str]) -> Provider | None:
    cls = spec.provider_cls
    missing = [s for s in REQUIRED.get(spec.provider_name, ()) if values.get(s) in (None, "")]
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
