"""What ``smsgate send --app DIR --element SMS.<Name>`` and ``smsgate check DIR`` do."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._errors import ConfigError, InvalidRequest
from .._models import Message, SendResult
from ._app import App

__all__ = ["check_app", "send_with_element"]


def check_app(root: Path) -> tuple[list[str], list[str]]:
    """``(elements, problems)`` of the app folder ``root``: every problem, each naming file and field."""
    try:
        with App(root) as app:
            if not app.elements:
                return [], [f"{root}: no SMS elements (expected SMS/<Name>/e.json)"]
            return sorted(app.elements), []
    except ConfigError as exc:
        return [], exc.problems


def send_with_element(
    root: Path | None, element: str | None, message: Message, *, providers: Sequence[str] | None = None, **options: Any
) -> SendResult:
    """Send ``message`` through ``element`` of the app at ``root``: the only one when not named, or the
    only one whose provider is in ``providers``. ``options`` go to :class:`App` (``send_log``…)."""
    if root is None:
        raise InvalidRequest("--element needs --app DIR", field="app")
    with App(root, **options) as app:
        allowed = {name for name, e in app.elements.items() if not providers or e.provider.name in providers}
        if element is None:
            if len(allowed) != 1:
                names = ", ".join(sorted(allowed)) or "none"
                raise InvalidRequest(f"name the element with --element (elements: {names})", field="element")
            element = next(iter(allowed))
        chosen = app.get_element(element)
        if element not in allowed:
            wanted = ", ".join(providers or ())
            raise InvalidRequest(
                f"element {element} sends through {chosen.provider.name!r}, not --provider {wanted}", field="provider"
            )
        return chosen.send(message)
