"""``smsgate keys create|list|revoke``: the service's API keys, kept (hashed) in its store."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from .._config import load_config
from .._errors import SmsError
from ._output import ConfigOption, JsonOption, err, fail, out

if TYPE_CHECKING:
    from ..server import ApiKeys

__all__ = ["register"]

keys = typer.Typer(no_args_is_help=True, help="API keys of the HTTP service (smsgate serve).")


def register(app: typer.Typer) -> None:
    app.add_typer(keys, name="keys")


def _ring(config: ConfigOption) -> ApiKeys:
    try:
        from ..server import ApiKeys, store_for
    except ImportError:
        raise fail("smsgate keys needs the server extra: pip install 'smsgate[server]'") from None
    return ApiKeys(store_for(load_config(config)))


@keys.command()
def create(
    tenant: Annotated[str, typer.Option(help="the tenant the key acts for")],
    scope: Annotated[str, typer.Option(help="comma-separated: send, verify, read, admin")] = "send,verify,read",
    rate: Annotated[int | None, typer.Option(help="at most this many requests a minute", min=1)] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Make a key and print it once; only its hash is kept."""
    try:
        ring = _ring(config)
        made = ring.create(tenant, scope.split(","), rate)
        ring.store.close()
    except SmsError as exc:
        raise fail(exc) from None
    if as_json:
        print(json.dumps({"key": made.token, "id": made.key.id, "tenant": tenant, "scopes": list(made.key.scopes)}))
        return
    print(made.token)
    err.print(
        f"key {made.key.prefix} for tenant {tenant!r} ({', '.join(made.key.scopes)}): shown only now, store it safely",
        markup=False,
        highlight=False,
    )


@keys.command("list")
def list_keys(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Every key: prefix, tenant, scopes, rate, made and revoked (never the key itself)."""
    try:
        ring = _ring(config)
        found = ring.list()
        ring.store.close()
    except SmsError as exc:
        raise fail(exc) from None
    if as_json:
        for k in found:
            print(
                json.dumps(
                    {
                        "prefix": k.prefix,
                        "tenant": k.tenant,
                        "scopes": list(k.scopes),
                        "rate": k.rate,
                        "created_at": k.created_at,
                        "revoked_at": k.revoked_at,
                    }
                )
            )
        return
    table = Table("prefix", "tenant", "scopes", "rate/min", "made", "revoked")
    for k in found:
        revoked = _when(k.revoked_at) if k.revoked_at is not None else ""
        table.add_row(k.prefix, k.tenant, ",".join(k.scopes), str(k.rate or ""), _when(k.created_at), revoked)
    out.print(table)


def _when(stamp: float) -> str:
    return datetime.fromtimestamp(stamp).isoformat(sep=" ", timespec="seconds")


@keys.command()
def revoke(
    key: Annotated[str, typer.Argument(help="the key, its prefix (sgk_…) or its id")],
    config: ConfigOption = None,
) -> None:
    """Revoke a key: the service refuses it from then on (within its key cache time, 1 s)."""
    try:
        ring = _ring(config)
        revoked = ring.revoke(key)
        ring.store.close()
    except SmsError as exc:
        raise fail(exc) from None
    err.print(f"revoked {revoked.prefix} (tenant {revoked.tenant!r})", markup=False, highlight=False)
