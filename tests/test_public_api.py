import re
from pathlib import Path

import smsgate

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def test_all_is_sorted_and_unique():
    assert smsgate.__all__ == sorted(set(smsgate.__all__))


def test_public_names_live_at_the_top():
    for name in smsgate.__all__:
        obj = getattr(smsgate, name)
        if isinstance(obj, type) or callable(obj):
            assert obj.__module__ == "smsgate", name


def test_docs_list_exactly_the_public_names():
    documented = set(re.findall(r"^\| `(\w+)` \|", DOC.read_text(encoding="utf-8"), re.M)) | {"__version__"}
    assert documented == set(smsgate.__all__)
