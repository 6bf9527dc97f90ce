"""``smsgate send``: one message through the configured providers or an app folder's element."""

from __future__ import annotations

import contextlib
import difflib
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from .._config import Config, load_config
from .._errors import ConfigError, SmsError
from .._models import Message, SendResult
from .._registry import available_providers
from ..elements.cli import send_with_element
from ._output import ConfigOption, RegionOption, fail, table

__all__ = ["register", "show"]


def register(app: typer.Typer) -> None:
    app.command()(send)


def send(
    to: Annotated[list[str] | None, typer.Option("--to", help="recipient phone; repeat for more")] = None,
    template: Annotated[str | None, typer.Option(help="template code, e.g. SMS_123456789")] = None,
    text: Annotated[str | None, typer.Option(help="text with ${name} params, for text providers")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", help="template param key=value, repeatable")] = None,
    sign_name: Annotated[str | None, typer.Option(help="sign name (signature)")] = None,
    provider: Annotated[list[str] | None, typer.Option("--provider", help="only these, in order")] = None,
    region: RegionOption = None,
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print only the result as JSON on stdout")] = False,
    app_dir: Annotated[Path | None, typer.Option("--app", help="send through an app folder's element")] = None,
    element: Annotated[str | None, typer.Option(help="the element, e.g. SMS.YourSmsName (with --app)")] = None,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="bulk: one row per recipient (phone, params)")] = None,
    param_column: Annotated[list[str] | None, typer.Option(help="with --csv: only these param columns")] = None,
    phone_column: Annotated[str, typer.Option(help="with --csv: the phone column")] = "phone",
    rejects: Annotated[Path | None, typer.Option(help="with --csv: write rejected rows to this CSV")] = None,
    resume: Annotated[str | None, typer.Option(help="go on with this campaign (its --csv file)")] = None,
    name: Annotated[str | None, typer.Option(help="with --csv: the campaign's name")] = None,
) -> None:
    """Send one message and print what became of every recipient; or a campaign from --csv.

    Every bad phone number is named at once, and then nothing is sent.
    """
    if csv_file is not None or resume is not None:
        from .campaigns import send_campaign

        send_campaign(csv_file, resume, template=template, text=text, params=_params(param or []),
                      sign_name=sign_name, param_columns=param_column, phone_column=phone_column,
                      rejects=rejects, name=name, config=config)  # fmt: skip
    if not to:
        raise fail("give --to PHONE (repeatable) or --csv FILE")
    # with --json, stdout carries the JSON alone: sinks that print (console) go to stderr
    quiet = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    try:
        message = Message(to=to, template=template, text=text, params=_params(param or []), sign_name=sign_name)
        settings = load_config(config)
        options = {} if region is None else {"default_region": region}
        with quiet:
            if app_dir is not None or element is not None:
                logged = {"send_log": settings.send_log} if settings.send_log else {}
                result = send_with_element(app_dir, element, message, providers=provider, **options, **logged)
            else:
                _check_chosen(settings, provider or [])
                with settings.gateway(**options) as gateway:
                    result = gateway.send(message, providers=provider or None)
    except SmsError as exc:
        raise fail(exc) from None
    show(result, as_json)
    raise typer.Exit(0 if result.ok else 1)


def _params(pairs: list[str]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise fail(f"--param {pair!r}: expected key=value")
        params[key] = value
    return params


def _check_chosen(settings: Config, chosen: list[str]) -> None:
    """Every ``--provider`` must be configured; say which are installed but not configured."""
    problems = []
    for name in chosen:
        if name in settings.providers:
            continue
        if name in available_providers():
            problems.append(f"--provider {name!r}: installed but not configured in {settings.source}")
            continue
        close = difflib.get_close_matches(name, [*settings.providers, *available_providers()], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(f"--provider {name!r}: unknown provider{hint}; configured: {', '.join(settings.providers)}")
    if problems:
        raise ConfigError(problems)


def show(result: SendResult, as_json: bool) -> None:
    """Print ``result``: JSON alone on stdout, or a table (data never read as markup)."""
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    rows = []
    for row in result.recipients:
        detail = row.message_id or (f"{row.error.code} {row.error}" if row.error else "")
        status = Text(str(row.status), style="green" if row.ok else "red")
        rows.append((row.phone.e164, status, row.provider or "-", detail))
    table(("phone", "status", "provider", "message id / error"), rows)
