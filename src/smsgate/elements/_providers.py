"""Finding an element type's provider class: installed (by name) or shipped in the element's bundle."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

from .._errors import ConfigError
from .._registry import provider_class
from ..providers.base import Provider
from ._types import PREFIX, provider_for_type

__all__ = ["class_provider", "load_provider", "named_provider"]


def named_provider(name: str) -> type[Provider]:
    """An installed provider by entry-point name (``aliyun``) or built-in type name (``SMS.Aliyun``)."""
    if name.startswith(PREFIX):
        found = provider_for_type(name)
        if found is None:
            raise ConfigError(f"no installed provider for type {name!r}")
        name = found
    return load_provider(name)


def load_provider(name: str) -> type[Provider]:
    try:
        return provider_class(name)
    except ImportError as exc:
        raise ConfigError(f"provider {name!r} is registered but cannot be imported ({exc.name or exc})") from None


def class_provider(ref: str, bundle: Path) -> type[Provider]:
    """``module:Class`` (or ``module.Class``), from ``module.py`` in the element's bundle, else installed.

    The module name is dotted identifiers, nothing else: no path, no relative import, and no file
    reached through a link that leads out of the bundle.
    """
    module_name, sep, attr = ref.partition(":")
    if not sep:
        module_name, _, attr = ref.rpartition(".")
    if not all(part.isidentifier() for part in module_name.split(".")) or not attr.isidentifier():
        raise ConfigError(f"{ref!r}: expected 'module:Class' (dotted names only, no paths)")
    local = bundle / (module_name.replace(".", "/") + ".py")
    if local.is_file() and not local.resolve().is_relative_to(bundle.resolve()):
        raise ConfigError(f"{ref!r}: {module_name}.py leads outside the element's folder")
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
