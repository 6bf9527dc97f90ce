"""Loading ``SMS/<Name>/`` folders: every problem in the whole app is collected, then raised at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._errors import ConfigError
from ..providers.base import Provider
from ._jsonfile import read_object
from ._providers import class_provider, load_provider, named_provider
from ._settings import build_provider, setting_keys
from ._types import META, PREFIX, REQUIRED, provider_for_type

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
            cls = named_provider(str(header["provider"]))
        else:
            cls = class_provider(str(header["providerClass"]), folder / str(header["backendBundleEntry"]))
    except ConfigError as exc:
        key = "provider" if "provider" in header else "providerClass"
        problems.extend(f"{shown}: {key}: {p}" for p in exc.problems)
        return None
    settings_file = folder / "sms.json"
    raw = read_object(settings_file, _shown(settings_file, root), problems, required=False) or {}
    defaults = setting_keys(raw, cls, _shown(settings_file, root), problems)
    return TypeSpec(name, cls, defaults, str(header["title"]), folder)


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
    values = {**type_spec.defaults, **setting_keys(raw or {}, type_spec.provider_cls, shown, problems)}
    provider = build_provider(name, type_spec.provider_cls, values, shown, problems)
    if provider is None or len(problems) > found:
        return None
    return ElementSpec(name, str(header["title"]), type_spec, folder, provider)


def _builtin_type(type_name: str) -> TypeSpec | str | None:
    provider = provider_for_type(type_name)
    if provider is None:
        return None
    try:
        return TypeSpec(type_name, load_provider(provider))
    except ConfigError as exc:
        return exc.problems[0]


def _known_types(types: Mapping[str, TypeSpec]) -> str:
    from ._types import element_types

    names = sorted({*element_types(), *types})
    return "known: " + ", ".join(names)
