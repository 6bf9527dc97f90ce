"""``smsgate log``: what the send log recorded; reading it needs no provider secrets."""

from __future__ import annotations

import re
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from .._config import load_config, open_store
from .._errors import InvalidRequest, SmsError
from .._phone import PhoneNumber
from ..stores.base import LogRecord
from ._output import ConfigOption, JsonOption, RegionOption, fail, table

__all__ = ["register"]

_AGO = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def register(app: typer.Typer) -> None:
    app.command()(log)


def log(
    phone: Annotated[str | None, typer.Option(help="only records for this phone")] = None,
    message_id: Annotated[str | None, typer.Option(help="only this message and its requests")] = None,
    status: Annotated[str | None, typer.Option(help="only this status: accepted, rejected, failed, unknown…")] = None,
    since: Annotated[str | None, typer.Option(help="only since then: 2026-01-31, 2026-01-31T08:00, 2h, 7d")] = None,
    until: Annotated[str | None, typer.Option(help="only until then (the next page: the hint printed below)")] = None,
    limit: Annotated[int, typer.Option(help="at most this many records", min=1)] = 50,
    oldest_first: Annotated[bool, typer.Option("--oldest-first", help="oldest first (default: newest)")] = False,
    region: RegionOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show the send log, newest first: every message and every request, with its error and delivery."""
    try:
        settings = load_config(config, providers=False)
        if not settings.send_log:
            raise fail(f"{settings.source}: no send_log is configured")
        if "://" not in settings.send_log and not Path(settings.send_log).is_file():
            raise fail(f"no send log at {settings.send_log} (nothing was sent with this configuration yet)")
        filters: dict[str, Any] = {"message_id": message_id, "status": status, "limit": limit}
        filters["newest_first"] = not oldest_first
        if phone:
            filters["phone"] = PhoneNumber.parse(phone, region or settings.default_region).e164
        if since:
            filters["since"] = _moment(since)
        if until:
            filters["until"] = _moment(until, "until")
        store = open_store(settings.send_log)
        try:
            records = store.log_query(**filters)
        finally:
            store.close()
    except SmsError as exc:
        raise fail(exc) from None
    if as_json:
        for record in records:
            print(record.to_json())
    else:
        headers = ("when", "kind", "message id", "phones", "status", "provider", "error", "delivery")
        table(headers, [_row(r) for r in records])
    if len(records) == limit and not oldest_first:  # there may be more: say how to see them
        older = datetime.fromtimestamp(records[-1].created_at).isoformat(timespec="microseconds")
        typer.echo(f"more: smsgate log --until {older} (the same filters; it starts with the last shown)", err=True)


def _moment(text: str, option: str = "since") -> float:
    """A timestamp from an ISO date or time (local time when no zone is given) or an age like ``2h``."""
    ago = _AGO.fullmatch(text.strip())
    if ago:
        return time.time() - int(ago[1]) * _UNITS[ago[2]]
    try:
        return datetime.fromisoformat(text.strip()).timestamp()
    except ValueError:
        raise InvalidRequest(
            f"--{option} {text!r}: expected a date, a time or an age like 2h or 7d", field=option
        ) from None


def _row(record: LogRecord) -> tuple[str, ...]:
    when = datetime.fromtimestamp(record.created_at).isoformat(sep=" ", timespec="seconds")
    error = record.error or {}
    detail = " ".join(
        str(part) for part in (error.get("code"), error.get("provider_code"), error.get("message")) if part
    )
    return (
        when,
        record.kind,
        record.message_id,
        ", ".join(record.phones),
        record.status,
        record.provider or "",
        detail,
        ", ".join(record.deliveries.get(p, "-") for p in record.phones) if record.deliveries else "",
    )
