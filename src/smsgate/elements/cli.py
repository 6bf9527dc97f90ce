"""What ``smsgate send --app DIR --element SMS.<Name>`` and ``smsgate check DIR`` do."""

from __future__ import annotations

from pathlib import Path

from .._errors import ConfigError, InvalidRequest
from .._models import Message, SendResult
from ._app import App

__all__ = ["check_app", "send_with_element"]


def check_app(root: Path) -> tuple[list[str], list[str]]:
    """``(elements, problems)`` of the app folder ``root``: every problem, each naming file and field."""
    try:
        with App(root) as app:
            return sorted(app.elements), []
    except ConfigError as exc:
        return [], exc.problems


def send_with_element(root: Path | None, element: str | None, message: Message) -> SendResult:
    """Send ``message`` through ``element`` of the app at ``root`` (the only one when not named)."""
    if root is None:
        raise InvalidRequest("--element needs --app DIR", field="app")
    with App(root) as app:
        if element is None:
            if len(app.elements) != 1:
                names = ", ".join(sorted(app.elements)) or "none"
                raise InvalidRequest(f"name the element with --element (elements: {names})", field="element")
            element = next(iter(app.elements))
        return app.get_element(element).send(message)
