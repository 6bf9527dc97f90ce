"""``smsgate send``: one message through the configured providers or an app folder's element."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from .._config import load_config
from .._errors import SmsError
from .._models import Message, SendResult
from ..elements.cli import send_with_element
from ._output import ConfigOption, fail, out

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command()(send)


def send(
    to: Annotated[list[str] | None, typer.Option("--to", help="recipient phone; repeat for more")] = None,
    template: Annotated[str | None, typer.Option(help="template code, e.g. SMS_123456789")] = None,
    text: Annotated[str | None, typer.Option(help="text with ${name} params, for text providers")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", help="template param key=value, repeatable")] = None,
    sign_name: Annotated[str | None, typer.Option(help="sign name (signature)")] = None,
    provider: Annotated[list[str] | None, typer.Option("--provider", help="only these, in order")] = None,
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
    app_dir: Annotated[Path | None, typer.Option("--app", help="send through an app folder's element")] = None,
    element: Annotated[str | None, typer.Option(help="the element, e.g. SMS.YourSmsName (with --app)")] = None,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="bulk: one row per recipient (phone, params)")] = None,
    param_column: Annotated[list[str] | None, typer.Option(help="with --csv: only these param columns")] = None,
    phone_column: Annotated[str, typer.Option(help="with --csv: the phone column")] = "phone",
    rejects: Annotated[Path | None, typer.Option(help="with --csv: write rejected rows to this CSV")] = None,
    resume: Annotated[str | None, typer.Option(help="go on with this campaign (its --csv file)")] = None,
    name: Annotated[str | None, typer.Option(help="with --csv: the campaign's name")] = None,
) -> None:
    """Send one message and print what became of every recipient; or a campaign from --csv."""
    if csv_file is not None or resume is not None:
        from .campaigns import send_campaign

        send_campaign(csv_file, resume, template=template, text=text, params=_params(param or []),
                      sign_name=sign_name, param_columns=param_column, phone_column=phone_column,
                      rejects=rejects, name=name, config=config)  # fmt: skip
    if not to:
        raise fail("give --to PHONE (repeatable) or --csv FILE")
    try:
        message = Message(to=to, template=template, text=text, params=_params(param or []), sign_name=sign_name)
        if app_dir is not None or element is not None:
            result = send_with_element(app_dir, element, message)
        else:
            with load_config(config).gateway() as gateway:
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


def show(result: SendResult, as_json: bool) -> None:
    """Print ``result``: JSON on stdout, or a table (data never read as markup)."""
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    table = Table("phone", "status", "provider", "message id / error")
    for row in result.recipients:
        detail = row.message_id or (f"{row.error.code} {row.error}" if row.error else "")
        status = Text(str(row.status), style="green" if row.ok else "red")
        table.add_row(Text(row.phone.e164), status, Text(row.provider or "-"), Text(detail))
    out.print(table)
