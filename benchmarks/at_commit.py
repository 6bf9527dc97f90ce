"""A store class as its files were at another commit: a benchmark's baseline, run in the same process.

``store_at("45a8c4a", "sqlite", "SQLiteStore")`` imports ``smsgate/stores/*.py`` as they were at that
commit (read with ``git show``) under the names ``smsgate.stores._at_<commit>_<module>``; their
imports of one another are rewritten to those names, and everything outside ``smsgate.stores``
(models, errors) is imported as it is now.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

_SIBLING = re.compile(r"from \.(?=\w)")  # ``from .x import``, not ``from .. import`` nor ``from . import``


class _AtCommit(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, commit: str) -> None:
        self.commit, self.prefix = commit, f"smsgate.stores._at_{commit}_"

    def source(self, module: str) -> str | None:
        found = subprocess.run(
            ["git", "show", f"{self.commit}:src/smsgate/stores/{module}.py"],
            cwd=Path(__file__).resolve().parents[1],
            capture_output=True,
            text=True,
        )
        return found.stdout if found.returncode == 0 else None

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(self.prefix) or self.source(fullname[len(self.prefix) :]) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def exec_module(self, module: Any) -> None:
        source = _SIBLING.sub(f"from ._at_{self.commit}_", self.source(module.__name__[len(self.prefix) :]) or "")
        module.__package__ = "smsgate.stores"
        exec(compile(source, f"{self.commit}:{module.__name__}", "exec"), module.__dict__)


def store_at(commit: str, module: str, name: str) -> Any:
    """The class ``name`` of ``smsgate/stores/<module>.py`` as it was at ``commit``."""
    finder = _AtCommit(commit)
    sys.meta_path.insert(0, finder)
    return getattr(importlib.import_module(finder.prefix + module), name)
