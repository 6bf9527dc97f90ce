"""``smsgate providers``: the installed providers and their settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from pydantic import SecretStr
from rich.table import Table
from rich.text import Text

from .._registry import available_providers, provider_class
from ._output import JsonOption, out

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command()(providers)


def providers(as_json: JsonOption = False) -> None:
    """List installed providers and their settings."""
    described = []
    for name in available_providers():
        try:
            described.append(describe(name))
        except Exception as exc:  # a broken third-party plugin must not hide the others
            described.append({"name": name, "error": f"cannot load: {type(exc).__name__}: {exc}"})
    if as_json:
        print(json.dumps(described, indent=2))
        return
    for info in described:
        if "error" in info:
            out.print(Text.assemble((info["name"], "bold"), "  ", (info["error"], "red")))
            continue
        kinds = " + ".join(k for k in ("template", "text") if info[k])
        own = ", per-recipient params" if info["per_recipient_params"] else ""
        line = f"  takes {kinds}{own}, up to {info['max_recipients']} per request"
        out.print(Text.assemble((info["name"], "bold"), line))
        table = Table("setting", "type", "required", "default", "about", box=None, pad_edge=False)
        for field in info["settings"]:
            required = "yes" if field["required"] else ""
            cells = (field["name"], field["type"], required, field["default"], field["about"])
            table.add_row(*(Text(cell) for cell in cells))
        out.print(table)


def describe(name: str) -> dict[str, Any]:
    """The provider ``name`` as data: what it takes and every setting (secrets never shown)."""
    cls = provider_class(name)
    fields = []
    for key, field in cls.settings_model.model_fields.items():
        secret = field.annotation is SecretStr or "SecretStr" in str(field.annotation)
        value = None if field.is_required() or secret else field.get_default(call_default_factory=True)
        default = "" if value is None else str(value) if isinstance(value, Path) else repr(value)
        annotation = "secret" if secret else getattr(field.annotation, "__name__", str(field.annotation))
        fields.append(
            {
                "name": field.alias or key,
                "type": str(annotation).replace("typing.", ""),
                "required": field.is_required(),
                "default": default,
                "about": field.description or "",
            }
        )
    return {
        "name": name,
        "template": cls.takes_template,
        "text": cls.takes_text,
        "max_recipients": cls.max_recipients,
        "per_recipient_params": cls.per_recipient_params,
        "settings": fields,
    }
