"""``smsgate check``: validate an app folder's SMS elements."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..elements.cli import check_app
from ._output import err, fail, out

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command()(check)


def check(app_dir: Annotated[Path, typer.Argument(help="an app folder holding SMS/<Name>/ elements")]) -> None:
    """Validate an app folder's SMS elements; print every problem (exit 1 if any)."""
    elements, problems = check_app(app_dir)
    for problem in problems:
        err.print(problem, markup=False, highlight=False, soft_wrap=True)
    if problems:
        raise fail(f"{len(problems)} problem(s) in {app_dir}", code=1)
    out.print(f"{app_dir}: {len(elements)} element(s) OK: {', '.join(elements)}", markup=False, soft_wrap=True)
