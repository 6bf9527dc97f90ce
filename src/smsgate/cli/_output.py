"""What every command shares: the two consoles and the one-line failure."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from .._errors import SmsError

out = Console()
err = Console(stderr=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", help="TOML file (or $SMSGATE_CONFIG, ./smsgate.toml)")]
JsonOption = Annotated[bool, typer.Option("--json", help="print as JSON")]


def fail(error: SmsError | str, code: int = 2) -> typer.Exit:
    """Print ``error`` as one line on stderr; return the :class:`typer.Exit` to raise."""
    text = error if isinstance(error, str) else f"error {error.code}: {error}"
    err.print(Text.assemble(("smsgate:", "red"), " ", text), highlight=False, soft_wrap=True)
    return typer.Exit(code)
