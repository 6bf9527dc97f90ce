"""``smsgate verify start|check``: send a one-time code, then check it. The code is never printed.

Verifications are kept in an SQLite file (``--store``; the config's ``send_log`` file by default),
so ``check`` can run in another process than ``start``; the server key comes from
``$SMSGATE_VERIFY_KEYS``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .._config import DEFAULT_LOG, load_config
from .._errors import SmsError
from ._output import ConfigOption, JsonOption, fail, out

if TYPE_CHECKING:
    from ..verify import Verifier

__all__ = ["register"]

StoreOption = Annotated[Path | None, typer.Option("--store", help="SQLite file for verifications")]
verify_app = typer.Typer(no_args_is_help=True, help="Send one-time codes and check them.")


def register(app: typer.Typer) -> None:
    app.add_typer(verify_app, name="verify")


@contextmanager
def _verifier(config: Path | None, store: Path | None) -> Iterator[Verifier]:
    """A verifier over the configured gateway and the SQLite file of verifications."""
    from ..stores.sqlite import SQLiteStore
    from ..verify import Verifier

    settings = load_config(config)
    with settings.gateway() as gateway:
        state = SQLiteStore(store or settings.send_log or DEFAULT_LOG)
        try:
            yield Verifier(gateway, state)
        finally:
            state.close()


@verify_app.command()
def start(
    to: Annotated[str, typer.Option("--to", help="the phone to verify")],
    template: Annotated[str | None, typer.Option(help="template code; its `code` param is filled in")] = None,
    text: Annotated[str | None, typer.Option(help="text with ${code}, for text providers")] = None,
    purpose: Annotated[str, typer.Option(help="what the code is for; one live code per phone and purpose")] = "login",
    sign_name: Annotated[str | None, typer.Option(help="sign name (signature)")] = None,
    store: StoreOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Send a new code; print the verification id and when it expires (exit 1 if the send failed)."""
    try:
        with _verifier(config, store) as verifier:
            verification = verifier.start(to, template=template, text=text, purpose=purpose, sign_name=sign_name)
    except SmsError as exc:
        raise fail(exc) from None
    if as_json:
        print(json.dumps(verification.to_dict(), ensure_ascii=False))
    else:
        expires = verification.to_dict()["expires_at"]
        sent = f"{verification.send_status} via {verification.provider or '-'}"
        out.print(f"{verification.id}  expires {expires}  send {sent}", highlight=False, markup=False)
    raise typer.Exit(0 if verification.send_status == "accepted" else 1)


@verify_app.command()
def check(
    verification_id: Annotated[str, typer.Option("--id", help="the id `verify start` printed")],
    code: Annotated[str, typer.Option("--code", help="the code the phone received")],
    store: StoreOption = None,
    config: ConfigOption = None,
) -> None:
    """Exit 0 when the code is right (approved), 1 otherwise; one answer for every failure."""
    from ..verify import VerificationFailed

    try:
        with _verifier(config, store) as verifier:
            verifier.check(verification_id, code)
    except VerificationFailed:
        out.print("not approved", highlight=False, markup=False)
        raise typer.Exit(1) from None
    except SmsError as exc:
        raise fail(exc) from None
    out.print("approved", highlight=False, markup=False)
