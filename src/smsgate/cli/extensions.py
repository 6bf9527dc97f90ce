"""``smsgate extensions new-key|rotate-keys``: the keys that encrypt extension secrets at rest."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from .._errors import SmsError
from ._output import fail, out

__all__ = ["register"]

extensions = typer.Typer(no_args_is_help=True, help="The extensions platform's store (ArkID style).")


def register(app: typer.Typer) -> None:
    app.add_typer(extensions, name="extensions")


@extensions.command("new-key")
def new_key() -> None:
    """Print a new Fernet key: put it first in $SMSGATE_EXTENSIONS_KEY (or the key file), then rotate-keys."""
    try:
        from ..extensions import generate_key

        print(generate_key())
    except SmsError as exc:
        raise fail(exc) from None


@extensions.command("rotate-keys")
def rotate_keys(
    database: Annotated[Path | None, typer.Argument(help="the store (default: $SMSGATE_EXTENSIONS_DB)")] = None,
) -> None:
    """Re-encrypt every stored secret with the first key; afterwards the old keys can be dropped."""
    path = database or (Path(os.environ["SMSGATE_EXTENSIONS_DB"]) if os.environ.get("SMSGATE_EXTENSIONS_DB") else None)
    if path is None or not path.is_file():
        raise fail(f"{path or '$SMSGATE_EXTENSIONS_DB'}: no such extension store")
    try:
        from ..extensions import ExtensionStore

        store = ExtensionStore(path)
        try:
            count = store.rotate_keys()
        finally:
            store.close()
    except SmsError as exc:
        raise fail(exc) from None
    done = f"{path}: {count} secret(s) re-encrypted with the first key from {store.keys.source}"
    out.print(done, markup=False, soft_wrap=True)
