"""What every command shares: the two consoles and the one-line failure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .._errors import SmsError

out = Console()
err = Console(stderr=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", help="TOML file (or $SMSGATE_CONFIG, ./smsgate.toml)")]
RegionOption = Annotated[
    str | None, typer.Option("--region", help="region of national numbers, e.g. US (default: the config's, else CN)")
]
JsonOption = Annotated[bool, typer.Option("--json", help="print as JSON")]


def one_line(text: str) -> str:
    """``text`` with line breaks and control characters escaped: one line that no terminal acts on."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def fail(error: SmsError | str, code: int = 2) -> typer.Exit:
    """Print ``error`` as one line on stderr; return the :class:`typer.Exit` to raise."""
    text = error if isinstance(error, str) else f"error {error.code}: {error}"
    err.print(Text.assemble(("smsgate:", "red"), " ", one_line(text)), highlight=False, soft_wrap=True)
    return typer.Exit(code)


def table(headers: Sequence[str], rows: Iterable[Sequence[str | Text]]) -> None:
    """Print ``rows`` on stdout: a table on a terminal, tab-separated lines (never cut) otherwise."""
    if not out.is_terminal:
        for cells in [headers, *rows]:
            print("\t".join(str(cell).replace("\t", " ").replace("\n", " ") for cell in cells))
        return
    shown = Table(*headers)
    for cells in rows:
        shown.add_row(*(cell if isinstance(cell, Text) else Text(cell) for cell in cells))
    out.print(shown)
