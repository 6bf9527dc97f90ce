"""Where configuration comes from, and where each problem is: a TOML file, the environment
(``SMSGATE_`` + field names joined by ``__``), and ``${VAR}`` expansion of the file's strings.

The environment beats the file: an overridden value is replaced before expansion, so an unset
``${VAR}`` it held is never looked up. Problems are collected, never raised one at a time, and each
names its origin (the file, or the environment variable) and field, with a suggestion when a name
is close to a known one.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError, create_model

from ._errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

__all__ = ["Loc", "Origins", "expand", "read_env", "read_toml", "suggest", "validation_problems"]

ENV_PREFIX = "SMSGATE_"
MAX_DEPTH = 32
_VAR = re.compile(r"\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)\})")

Loc = tuple[str, ...]


def read_toml(path: Path) -> dict[str, Any]:
    """The TOML file at ``path``; :class:`ConfigError` naming it when it cannot be read as TOML."""
    try:
        text = path.read_bytes().decode("utf-8")
        data: dict[str, Any] = tomllib.loads(text)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a TOML file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or type(exc).__name__}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply") from None
    except ValueError:  # the one other failure: an integer with more digits than Python converts
        raise ConfigError(f"{path}: a number has more than {sys.get_int_max_str_digits()} digits") from None
    if _depth(data) > MAX_DEPTH:
        raise ConfigError(f"{path}: nested more than {MAX_DEPTH} levels deep")
    return data


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return max((_depth(child, level + 1) for child in children), default=level)


@cache
def _env_source() -> Any:
    """pydantic-settings' environment source over a given mapping; imported on first use, so that
    ``import smsgate`` does not pay for it."""
    from pydantic_settings import EnvSettingsSource
    from pydantic_settings.sources.utils import parse_env_vars

    class MappingEnvSource(EnvSettingsSource):
        def __init__(self, settings_cls: Any, environ: Mapping[str, str]) -> None:
            self._environ = environ
            super().__init__(settings_cls, env_prefix=ENV_PREFIX, env_nested_delimiter="__")

        def _load_env_vars(self) -> Mapping[str, str | None]:
            return parse_env_vars(self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)

    return MappingEnvSource


@cache
def _settings_of(model: type[BaseModel]) -> Any:
    """``model``'s fields as a pydantic-settings class (what the environment source reads)."""
    from pydantic_settings import BaseSettings

    fields: Any = {name: (field.annotation, field) for name, field in model.model_fields.items()}
    return create_model(f"{model.__name__}Environment", __base__=BaseSettings, **fields)


@dataclass
class Origins:
    """Which environment variable set which field; everything else came from ``source``."""

    source: str
    variables: dict[Loc, str]

    def of(self, loc: Iterable[Any]) -> tuple[str, Loc]:
        """``(origin, the rest of loc)`` for a problem at ``loc``."""
        parts = tuple(str(part) for part in loc)
        for cut in range(len(parts), 0, -1):
            name = self.variables.get(parts[:cut])
            if name is not None:
                return f"environment {name}", parts[cut:]
        return self.source, parts

    def problem(self, loc: Iterable[Any], text: str) -> str:
        origin, rest = self.of(loc)
        return f"{origin}: {'.'.join(rest)}: {text}" if rest else f"{origin}: {text}"


def read_env(model: type[BaseModel], environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[Loc, str]]:
    """``(values, variables)``: the nested values the environment sets (``$`` escaped so that
    expansion leaves them as they are), and which variable set each field path."""
    variables: dict[Loc, str] = {}
    for key in environ:
        if key.upper().startswith(ENV_PREFIX):
            path = tuple(key[len(ENV_PREFIX) :].lower().split("__"))
            if path[0] in model.model_fields:
                variables[path] = key
    from pydantic_settings import SettingsError

    try:
        values = _env_source()(_settings_of(model), environ)()
    except SettingsError as exc:
        raise ConfigError(f"environment: {exc}") from None
    return _escape(values), variables


def _escape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _escape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escape(v) for v in value]
    return value.replace("$", "$$") if isinstance(value, str) else value


def expand(value: Any, environ: Mapping[str, str], loc: Loc, problems: list[tuple[Loc, str]]) -> Any:
    """``value`` with ``${NAME}`` replaced from ``environ`` (``$$`` is a literal ``$``); an unset
    name is left as it is and recorded in ``problems``."""
    if isinstance(value, dict):
        return {k: expand(v, environ, (*loc, str(k)), problems) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v, environ, loc, problems) for v in value]
    if not isinstance(value, str) or "$" not in value:
        return value

    def lookup(match: re.Match[str]) -> str:
        if match[1] == "$":
            return "$"
        if match[2] not in environ:
            problems.append((loc, f"environment variable {match[2]} is not set"))
            return match[0]
        return environ[match[2]]

    return _VAR.sub(lookup, value)


def suggest(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``known``, or nothing."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def validation_problems(
    error: ValidationError, model: type[BaseModel], origins: Origins, prefix: Loc, skip: set[Loc]
) -> list[str]:
    """One line per pydantic problem: origin, field, what is wrong (never the value), a suggestion;
    none for a field in ``skip``."""
    problems = []
    for item in error.errors():
        loc = (*prefix, *(str(part) for part in item["loc"]))
        if loc in skip:
            continue
        text = item["msg"]
        if item["type"] == "extra_forbidden":
            text = "unknown setting" + suggest(loc[-1], _names(model, item["loc"][:-1]))
        problems.append(origins.problem(loc, text))
    return problems


def _names(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The field names (and aliases) of the model at ``loc`` inside ``model``."""
    for part in loc:
        field = model.model_fields.get(str(part))
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return [name for key, f in model.model_fields.items() for name in (key, f.alias) if name]
