"""Reading an element's JSON files, turning every failure into a problem naming the file and line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["read_object"]


def read_object(path: Path, shown: str, problems: list[str], *, required: bool = True) -> dict[str, Any] | None:
    """The JSON object in ``path``; ``None`` (with a problem appended) when it is missing or bad.

    ``shown`` is how problems name the file (a path relative to the app root).
    """
    if not path.is_file():
        if path.exists():
            problems.append(f"{shown}: not a file")
        elif required:
            problems.append(f"{shown}: file not found")
        return None
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{shown}: cannot be read: {type(exc).__name__}")
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.append(f"{shown}: line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}")
        return None
    except RecursionError:
        problems.append(f"{shown}: nested too deeply to read")
        return None
    except ValueError:  # the one other failure: a number with more digits than Python converts
        problems.append(f"{shown}: a number has more than {sys.get_int_max_str_digits()} digits")
        return None
    if not isinstance(data, dict):
        problems.append(f"{shown}: expected a JSON object, got {type(data).__name__}")
        return None
    return data
