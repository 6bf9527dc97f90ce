"""``smsgate log``: what the send log recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from .._config import load_config
from .._errors import SmsError
from .._phone import PhoneNumber
from ._output import ConfigOption, JsonOption, fail, out

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command()(log)


def log(
    phone: Annotated[str | None, typer.Option(help="only records for this phone")] = None,
    message_id: Annotated[str | None, typer.Option(help="only this message and its requests")] = None,
    limit: Annotated[int, typer.Option(help="at most this many records")] = 50,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show the send log: every message and every request, oldest first."""
    try:
        settings = load_config(config)
        if not settings.send_log:
            raise fail(f"{settings.source}: no send_log is configured")
        from ..stores.sqlite import SQLiteStore

        store = SQLiteStore(settings.send_log)
        e164 = PhoneNumber.parse(phone, settings.default_region).e164 if phone else None
        records = store.log_query(phone=e164, message_id=message_id, limit=limit)
        store.close()
    except SmsError as exc:
        raise fail(exc) from None
    if as_json:
        for record in records:
            print(record.to_json())
        return
    table = Table("when", "kind", "message", "phones", "status", "provider")
    for r in records:
        when = datetime.fromtimestamp(r.created_at).isoformat(sep=" ", timespec="seconds")
        table.add_row(when, r.kind, r.message_id[:12], ", ".join(r.phones), r.status, r.provider or "")
    out.print(table)
