"""The examples in the docs run as written."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def python_blocks(path: Path) -> str:
    return "\n".join(BLOCK.findall(path.read_text(encoding="utf-8")))


DOCS = [
    "docs/bulk.md",
    "docs/configuration.md",
    "docs/emulators.md",
    "docs/receipts.md",
    "docs/security.md",
    "docs/sending.md",
    "docs/stores.md",
    "docs/writing-a-provider.md",
]


@pytest.mark.parametrize("doc", DOCS)
def test_examples_run(doc, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(python_blocks(ROOT / doc), doc, "exec"), {"__name__": "docs_example"})
